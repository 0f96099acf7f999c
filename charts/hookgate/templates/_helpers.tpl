{{/*
Helpers. They take this chart's own context (.Values, .Release, .Chart of hookgate). The sidecar
templates, called from a parent chart, first resolve that context (hookgate.resolve).
*/}}

{{/*
Resolves hookgate's context from what a template was given: this chart's own context (also
under an alias: recognised by its values), a parent chart's root context (hookgate is its
dependency: .Subcharts.hookgate), or a subchart context passed explicitly (.Subcharts.<alias>).
Usage:
  {{- $r := dict -}}{{- include "hookgate.resolve" (dict "in" . "out" $r) -}}{{- $ctx := $r.ctx -}}
*/}}
{{- define "hookgate.resolve" -}}
{{- $in := .in -}}
{{- if and (hasKey $in.Values "sidecar") (hasKey $in.Values "containerPorts") (hasKey $in.Values "config") -}}
{{- $_ := set .out "ctx" $in -}}
{{- else if (($in.Subcharts | default dict).hookgate) -}}
{{- $_ := set .out "ctx" $in.Subcharts.hookgate -}}
{{- else -}}
{{- fail (printf "hookgate.sidecar.* templates: chart %q has no dependency named hookgate; add it to Chart.yaml (repository: file://...) and run helm dependency build, or pass the subchart context (.Subcharts.<alias>)" $in.Chart.Name) -}}
{{- end -}}
{{- end -}}

{{- define "hookgate.name" -}}
{{- default "hookgate" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "hookgate" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hookgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels for objects this chart owns (root context only: uses .Chart). */}}
{{- define "hookgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hookgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hookgate
{{- end -}}

{{- define "hookgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hookgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hookgate.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap the pod mounts: ours, or the user's. */}}
{{- define "hookgate.configMapName" -}}
{{- .Values.existingConfigMap | default (include "hookgate.fullname" .) -}}
{{- end -}}

{{- define "hookgate.hostPort" -}}
{{- $addr := .addr | toString -}}
{{- if contains ":" $addr -}}
{{- printf "[%s]:%d" $addr (int .port) -}}
{{- else -}}
{{- printf "%s:%d" $addr (int .port) -}}
{{- end -}}
{{- end -}}

{{/*
The hookgate config file rendered from .Values.config, with listen/admin_listen taken from
listenAddress and containerPorts (the probes and the Service depend on them).
*/}}
{{- define "hookgate.configYaml" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if or (hasKey $cfg "listen") (hasKey $cfg "admin_listen") -}}
{{- fail "hookgate: do not set config.listen or config.admin_listen; the chart sets them from listenAddress and containerPorts.http/admin" -}}
{{- end -}}
{{- if not $cfg.routes -}}
{{- fail "hookgate: config.routes is empty; add at least one route (see values.yaml and config.example.yaml), or set existingConfigMap" -}}
{{- end -}}
{{- if not (($cfg.upstream | default dict).url) -}}
{{- fail "hookgate: config.upstream.url is required (your app's Service in standalone mode, http://127.0.0.1:PORT in sidecar mode)" -}}
{{- end -}}
{{- $debug := .Values.debugEndpoints | default dict -}}
{{- if or $debug.enabled $debug.tokenKey -}}
{{- if hasKey $cfg "admin" -}}
{{- fail "hookgate: set debugEndpoints or config.admin, not both" -}}
{{- end -}}
{{- $admin := dict "debug" (ternary true false (eq $debug.enabled true)) -}}
{{- if $debug.tokenKey -}}
{{- if not .Values.secrets.existingSecret -}}
{{- fail "hookgate: debugEndpoints.tokenKey names a key of secrets.existingSecret; set secrets.existingSecret" -}}
{{- end -}}
{{- $_ := set $admin "token" (dict "file" (printf "%s/%s" .Values.secrets.mountPath $debug.tokenKey)) -}}
{{- end -}}
{{- $_ := set $cfg "admin" $admin -}}
{{- end -}}
{{- $_ := set $cfg "listen" (include "hookgate.hostPort" (dict "addr" .Values.listenAddress "port" .Values.containerPorts.http)) -}}
{{- $_ := set $cfg "admin_listen" (include "hookgate.hostPort" (dict "addr" .Values.listenAddress "port" .Values.containerPorts.admin)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Only a config rendered from values has a checksum; an existing ConfigMap is opaque. */}}
{{- define "hookgate.configChecksum" -}}
{{- if not .Values.existingConfigMap -}}
{{- include "hookgate.configYaml" . | sha256sum -}}
{{- end -}}
{{- end -}}

{{/* The label a sidecar pod carries, for the PodMonitor to find it. */}}
{{- define "hookgate.sidecarLabelKey" -}}hookgate/instance{{- end -}}

{{/* Label matchers added to every series the alert rules read. */}}
{{- define "hookgate.ruleSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "namespace=%q" .Release.Namespace) -}}
{{- end -}}
