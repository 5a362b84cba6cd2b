{{/*
The aggregator's fluent.conf: the repository's examples/fluentd/forward.conf (files/forward.conf
links to it), so chunk, bulk, retry and id settings have one home. Only the site-specific lines
change: the cluster address, TLS verification, the CA file and the credentials.
*/}}
{{- define "ktcp.aggregator.fluentConf" -}}
{{- $es := .Values.output.elasticsearch -}}
{{- $conf := .Files.Get "files/forward.conf" -}}
{{- if not $conf -}}
{{- fail "files/forward.conf is missing: it links to examples/fluentd/forward.conf of the ktcp repository" -}}
{{- end -}}
{{- $conf = regexReplaceAll "(?m)^([ \t]*)hosts[ \t].*$" $conf (printf "${1}hosts %s" $es.url) -}}
{{- $conf = regexReplaceAll "(?m)^([ \t]*)ssl_verify[ \t].*$" $conf (printf "${1}ssl_verify %t" $es.tls.verify) -}}
{{- if $es.tls.caSecret -}}
{{- $conf = regexReplaceAll "(?m)^([ \t]*)ca_file[ \t].*$" $conf (printf "${1}ca_file /etc/fluent/certs/%s" $es.tls.caKey) -}}
{{- else -}}
{{- $conf = regexReplaceAll "(?m)^[ \t]*ca_file[ \t].*\n" $conf "" -}}
{{- end -}}
{{- if eq $es.auth.method "apiKey" -}}
{{- $conf = regexReplaceAll "(?m)^([ \t]*)user[ \t].*$" $conf "${1}api_key \"#{ENV['ES_API_KEY']}\"" -}}
{{- $conf = regexReplaceAll "(?m)^[ \t]*password[ \t].*\n" $conf "" -}}
{{- else if eq $es.auth.method "none" -}}
{{- $conf = regexReplaceAll "(?m)^[ \t]*(user|password)[ \t].*\n" $conf "" -}}
{{- end -}}
{{- $conf -}}
{{- end -}}
