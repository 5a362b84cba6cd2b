{{/* Names, labels and the pieces several templates share. */}}

{{/* The chart name, or nameOverride. */}}
{{- define "ktcp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<name>", shortened to 63 characters; just the release if it contains the name. */}}
{{- define "ktcp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "ktcp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: name and instance only, so that they never change on upgrade. */}}
{{- define "ktcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ktcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "ktcp.labels" -}}
helm.sh/chart: {{ include "ktcp.chart" . }}
{{ include "ktcp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ktcp
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Component labels: pass (dict "ctx" $ "component" "agent"). */}}
{{- define "ktcp.componentLabels" -}}
{{ include "ktcp.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Aggregator selector labels: name and instance too, with its own name so that the agent's
selector never matches aggregator pods. */}}
{{- define "ktcp.aggregator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ktcp.name" . | trunc 52 | trimSuffix "-" }}-aggregator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Aggregator labels: the common ones with the aggregator's name. */}}
{{- define "ktcp.aggregator.labels" -}}
helm.sh/chart: {{ include "ktcp.chart" . }}
{{ include "ktcp.aggregator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ktcp
app.kubernetes.io/component: aggregator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ktcp.aggregator.fullname" -}}
{{- printf "%s-aggregator" (include "ktcp.fullname" . | trunc 52 | trimSuffix "-") -}}
{{- end -}}

{{- define "ktcp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ktcp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* repository[:tag][@digest] of the ktcp image. */}}
{{- define "ktcp.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- $ref := printf "%s:%s" .Values.image.repository $tag -}}
{{- if .Values.image.digest -}}
{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* Name of the Secret holding the Elasticsearch credentials (existing or created). */}}
{{- define "ktcp.elasticsearch.secretName" -}}
{{- $auth := .Values.output.elasticsearch.auth -}}
{{- default (printf "%s-elasticsearch" (include "ktcp.fullname" .)) $auth.existingSecret -}}
{{- end -}}

{{/* Does any component talk to Elasticsearch? (agent, setup Job, aggregator) */}}
{{- define "ktcp.elasticsearch.used" -}}
{{- if or (eq .Values.output.type "elasticsearch") .Values.aggregator.enabled .Values.setup.enabled -}}
true
{{- end -}}
{{- end -}}

{{/*
Environment variables carrying the Elasticsearch credentials, from the Secret.
Pass (dict "ctx" $ "user" "KTCP_ES_USER" "password" "KTCP_ES_PASSWORD" "apiKey" "KTCP_ES_API_KEY"),
and "secret" NAME to read another Secret with the same keys.
*/}}
{{- define "ktcp.elasticsearch.credentialEnv" -}}
{{- $auth := .ctx.Values.output.elasticsearch.auth -}}
{{- $secret := default (include "ktcp.elasticsearch.secretName" .ctx) .secret -}}
{{- if eq $auth.method "apiKey" -}}
- name: {{ .apiKey }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $auth.secretKeys.apiKey }}
{{- else if eq $auth.method "basic" -}}
- name: {{ .user }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $auth.secretKeys.username }}
- name: {{ .password }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $auth.secretKeys.password }}
{{- end }}
{{- end -}}

{{/* Where the Elasticsearch CA Secret is mounted in ktcp containers. */}}
{{- define "ktcp.elasticsearch.caDir" -}}/etc/ktcp/elasticsearch-ca{{- end -}}

{{/* TLS flags of ktcp commands that talk to Elasticsearch. */}}
{{- define "ktcp.elasticsearch.tlsArgs" -}}
{{- $tls := .Values.output.elasticsearch.tls -}}
{{- if $tls.caSecret }}
- --ca-certs
- {{ printf "%s/%s" (include "ktcp.elasticsearch.caDir" .) $tls.caKey | quote }}
{{- end }}
{{- if not $tls.verify }}
- --insecure
{{- end }}
{{- end -}}

{{/* Volume with the Elasticsearch CA, when there is one. */}}
{{- define "ktcp.elasticsearch.caVolume" -}}
{{- with .Values.output.elasticsearch.tls.caSecret }}
- name: elasticsearch-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "ktcp.elasticsearch.caMount" -}}
{{- if .Values.output.elasticsearch.tls.caSecret }}
- name: elasticsearch-ca
  mountPath: {{ include "ktcp.elasticsearch.caDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* Checks that fail rendering with a message saying what to set. */}}
{{- define "ktcp.validate" -}}
{{- $auth := .Values.output.elasticsearch.auth -}}
{{- if and (include "ktcp.elasticsearch.used" .) (not $auth.existingSecret) -}}
{{- if and (eq $auth.method "apiKey") (not $auth.apiKey) -}}
{{- fail "output.elasticsearch.auth.method is apiKey: set auth.existingSecret (a Secret with the key named in auth.secretKeys.apiKey) or auth.apiKey" -}}
{{- end -}}
{{- if and (eq $auth.method "basic") (or (not $auth.username) (not $auth.password)) -}}
{{- fail "output.elasticsearch.auth.method is basic: set auth.existingSecret (with the keys named in auth.secretKeys) or both auth.username and auth.password" -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.output.type "fluentd") (not .Values.output.fluentd.host) (not .Values.aggregator.enabled) -}}
{{- fail "output.type is fluentd: set output.fluentd.host, or aggregator.enabled=true to deploy one" -}}
{{- end -}}
{{- $f := .Values.output.fluentd -}}
{{- if and .Values.aggregator.enabled (not $f.host) (or $f.tls.enabled $f.security.existingSecret) -}}
{{- fail "output.fluentd.tls and output.fluentd.security are for a Fluentd of your own (output.fluentd.host): the chart's aggregator listens in the cluster without TLS or a shared key" -}}
{{- end -}}
{{- if and .Values.aggregator.enabled (ne .Values.output.type "fluentd") -}}
{{- fail "aggregator.enabled needs output.type=fluentd: the agents would not send to it" -}}
{{- end -}}
{{- if and (eq .Values.agent.source "file") (not .Values.agent.paths) -}}
{{- fail "agent.source is file: list the kernel log files in agent.paths" -}}
{{- end -}}
{{- if eq .Values.agent.source "file" -}}
{{- range $path := .Values.agent.paths -}}
{{- $mounted := hasPrefix "/var/log/" $path -}}
{{- range $.Values.extraVolumeMounts -}}
{{- if hasPrefix (printf "%s/" (trimSuffix "/" .mountPath)) $path -}}{{- $mounted = true -}}{{- end -}}
{{- end -}}
{{- if not $mounted -}}
{{- fail (printf "agent.paths: %s is not under /var/log, the host directory the chart mounts: mount its directory with extraVolumes and extraVolumeMounts" $path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $a := .Values.agent -}}
{{- if and $a.sampler.interval (not $a.hostNetwork) -}}
{{- fail "agent.sampler.interval needs agent.hostNetwork=true: in the pod's own network namespace /proc/net shows the sampler only the agent's sockets, never the node's connections" -}}
{{- end -}}
{{- if and $a.kernelDebug.debugfs (not $a.kernelDebug.enabled) -}}
{{- fail "agent.kernelDebug.debugfs mounts the node's debugfs read-write for agent.kernelDebug.enabled=true only: set both, or neither" -}}
{{- end -}}
{{- $surge := toString (dig "rollingUpdate" "maxSurge" 0 (default dict .Values.updateStrategy)) -}}
{{- if and $a.kernelDebug.enabled (ne $surge "0") (ne $surge "0%") -}}
{{- fail "agent.kernelDebug.enabled cannot roll with updateStrategy.rollingUpdate.maxSurge: the old agent, stopping beside the new one, would switch the kernel's debug lines off under it; use maxUnavailable" -}}
{{- end -}}
{{- end -}}

{{/* Is the agent running as root? The kmsg source and kernel debug need it. */}}
{{- define "ktcp.agent.root" -}}
{{- if or (eq .Values.agent.source "kmsg") .Values.agent.kernelDebug.enabled -}}true{{- end -}}
{{- end -}}
