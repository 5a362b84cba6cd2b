{{/* The agent's command line, volumes and mounts (used by the DaemonSet). */}}

{{/* Fluentd destination host:port: the chart's aggregator unless output.fluentd.host is set. */}}
{{- define "ktcp.fluentd.address" -}}
{{- $host := .Values.output.fluentd.host -}}
{{- $port := .Values.output.fluentd.port -}}
{{- if not $host -}}
{{- $host = printf "%s.%s.svc" (include "ktcp.aggregator.fullname" .) .Release.Namespace -}}
{{- $port = .Values.aggregator.port -}}
{{- end -}}
{{- printf "%s:%v" $host $port -}}
{{- end -}}

{{- define "ktcp.agent.configDir" -}}/etc/ktcp/config{{- end -}}

{{/* Arguments of `ktcp agent`. Only flags the agent defines; --check-config runs them in CI. */}}
{{- define "ktcp.agent.args" -}}
{{- $a := .Values.agent -}}
- --source
- {{ $a.source }}
{{- if eq $a.source "file" }}
{{- range $a.paths }}
- --path
- {{ . | quote }}
{{- end }}
{{- end }}
{{- with $a.journalDirectory }}
- --journal-directory
- {{ . | quote }}
{{- end }}
- --state-dir
- /var/lib/ktcp
{{- if eq .Values.output.type "elasticsearch" }}
- --elasticsearch
- {{ .Values.output.elasticsearch.url | quote }}
{{- with include "ktcp.elasticsearch.tlsArgs" . | trim }}{{ . | nindent 0 }}{{ end }}
{{- else if eq .Values.output.type "fluentd" }}
- --fluentd
- {{ include "ktcp.fluentd.address" . | quote }}
{{- $f := .Values.output.fluentd }}
{{- if $f.tls.enabled }}
- --fluentd-tls
{{- with $f.tls.caSecret }}
- --fluentd-ca
- {{ printf "/etc/ktcp/fluentd-ca/%s" $f.tls.caKey | quote }}
{{- end }}
{{- with $f.tls.serverName }}
- --fluentd-server-name
- {{ . | quote }}
{{- end }}
{{- if $f.tls.clientCertSecret }}
- --fluentd-client-cert
- /etc/ktcp/fluentd-client/tls.crt
- --fluentd-client-key
- /etc/ktcp/fluentd-client/tls.key
{{- end }}
{{- if not $f.tls.verify }}
- --fluentd-tls-insecure
{{- end }}
{{- end }}
{{- if $f.security.existingSecret }}
- --fluentd-hostname
- $(KTCP_NODE_NAME)
{{- end }}
{{- else }}
- --stdout
{{- end }}
- --http
- {{ printf "%s:%v" $a.http.address $a.http.port | quote }}
- --log-format
- {{ $a.logFormat }}
{{- if $a.hostNameFromNode }}
- --host
- $(KTCP_NODE_NAME)
{{- end }}
{{- with $a.sampler.interval }}
- --sample-interval
- {{ . | quote }}
{{- end }}
{{- if $a.kernelDebug.enabled }}
- --enable-kernel-debug
{{- end }}
{{- $e := .Values.enrichment }}
{{- if $e.disabled }}
- --no-enrich
{{- else }}
{{- range $e.mmdb }}
- --mmdb
- {{ . | quote }}
{{- end }}
{{- with $e.ip2region }}
- --ip2region
- {{ . | quote }}
{{- end }}
{{- if $e.ispOverrides }}
- --isp-overrides
- {{ printf "%s/isp-overrides.csv" (include "ktcp.agent.configDir" .) }}
{{- end }}
{{- end }}
{{- with $a.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Host paths the source reads, all read-only. /var/log/journal is reached through /var/log:
a separate hostPath would be created by the runtime on nodes without one, and its mere existence
switches journald (Storage=auto) to persistent storage. */}}
{{- define "ktcp.agent.hostVolumes" -}}
{{- $source := .Values.agent.source -}}
{{- if ne $source "kmsg" }}
- name: varlog
  hostPath:
    path: /var/log
    type: Directory
{{- end }}
{{- if or (eq $source "auto") (eq $source "journald") }}
- name: run-journal
  hostPath:
    path: /run/log/journal
    type: DirectoryOrCreate
- name: machine-id
  hostPath:
    path: /etc/machine-id
    type: File
{{- end }}
{{- if eq $source "kmsg" }}
- name: kmsg
  hostPath:
    path: /dev/kmsg
    type: CharDevice
{{- end }}
{{- if .Values.agent.kernelDebug.debugfs }}
- name: debugfs
  hostPath:
    path: /sys/kernel/debug
    type: Directory
{{- end }}
{{- end -}}

{{- define "ktcp.agent.hostMounts" -}}
{{- $source := .Values.agent.source -}}
{{- if ne $source "kmsg" }}
- name: varlog
  mountPath: /var/log
  readOnly: true
{{- end }}
{{- if or (eq $source "auto") (eq $source "journald") }}
- name: run-journal
  mountPath: /run/log/journal
  readOnly: true
- name: machine-id
  mountPath: /etc/machine-id
  readOnly: true
{{- end }}
{{- if eq $source "kmsg" }}
- name: kmsg
  mountPath: /dev/kmsg
  readOnly: true
{{- end }}
{{- if .Values.agent.kernelDebug.debugfs }}
# Writable: --enable-kernel-debug writes dynamic_debug/control there (kernels before about 5.7).
- name: debugfs
  mountPath: /sys/kernel/debug
{{- end }}
{{- end -}}

{{/* Container security context: the values, plus what the kmsg source or kernel debug needs. */}}
{{- define "ktcp.agent.securityContext" -}}
{{- $a := .Values.agent -}}
{{- $sc := deepCopy .Values.securityContext -}}
{{- if include "ktcp.agent.root" . -}}
{{- $_ := set $sc "runAsUser" 0 -}}
{{- $_ := set $sc "runAsGroup" 0 -}}
{{- $_ := set $sc "runAsNonRoot" false -}}
{{- if or $a.kernelDebug.enabled $a.kmsg.privileged -}}
{{- $_ := set $sc "privileged" true -}}
{{- /* the API rejects allowPrivilegeEscalation=false next to privileged=true */ -}}
{{- $_ := unset $sc "allowPrivilegeEscalation" -}}
{{- else -}}
{{- $caps := default dict $sc.capabilities -}}
{{- $_ := set $caps "add" (list "SYSLOG") -}}
{{- $_ := set $sc "capabilities" $caps -}}
{{- end -}}
{{- end -}}
{{- toYaml $sc -}}
{{- end -}}

{{/* The state directory belongs to the agent's user (hostPath DirectoryOrCreate makes it root's). */}}
{{- define "ktcp.agent.stateOwner" -}}
{{- $p := .Values.podSecurityContext -}}
{{- printf "%v:%v" (default 0 $p.runAsUser) (default (default 0 $p.runAsUser) $p.runAsGroup) -}}
{{- end -}}

{{/* Secrets of the Fluentd output: the <security> keys as environment variables. */}}
{{- define "ktcp.fluentd.securityEnv" -}}
{{- $sec := .Values.output.fluentd.security -}}
{{- if and (eq .Values.output.type "fluentd") $sec.existingSecret -}}
- name: KTCP_FLUENTD_SHARED_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $sec.existingSecret }}
      key: {{ $sec.sharedKeyKey }}
{{- if $sec.usernameKey }}
- name: KTCP_FLUENTD_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $sec.existingSecret }}
      key: {{ $sec.usernameKey }}
{{- end }}
{{- if $sec.passwordKey }}
- name: KTCP_FLUENTD_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $sec.existingSecret }}
      key: {{ $sec.passwordKey }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Secret volumes of the Fluentd output's TLS (CA, client certificate). */}}
{{- define "ktcp.fluentd.tlsVolumes" -}}
{{- $tls := .Values.output.fluentd.tls -}}
{{- if and (eq .Values.output.type "fluentd") $tls.enabled -}}
{{- with $tls.caSecret }}
- name: fluentd-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- with $tls.clientCertSecret }}
- name: fluentd-client
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "ktcp.fluentd.tlsMounts" -}}
{{- $tls := .Values.output.fluentd.tls -}}
{{- if and (eq .Values.output.type "fluentd") $tls.enabled -}}
{{- if $tls.caSecret }}
- name: fluentd-ca
  mountPath: /etc/ktcp/fluentd-ca
  readOnly: true
{{- end }}
{{- if $tls.clientCertSecret }}
- name: fluentd-client
  mountPath: /etc/ktcp/fluentd-client
  readOnly: true
{{- end }}
{{- end -}}
{{- end -}}
