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
{{- include "hookgate.configQueue" (dict "ctx" . "cfg" $cfg) -}}
{{- $_ := set $cfg "listen" (include "hookgate.hostPort" (dict "addr" .Values.listenAddress "port" .Values.containerPorts.http)) -}}
{{- $_ := set $cfg "admin_listen" (include "hookgate.hostPort" (dict "addr" .Values.listenAddress "port" .Values.containerPorts.admin)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
config.queue from the queue values: max_bytes is the chart's, and so are path with the embedded
backend (the volume is mounted at the path's folder; backend left out, hookgate's default) and
backend: redis with the Redis one (no path, no volume); with backend redis, queue.redis.url and
queue.redis.passwordKey go into config.queue.redis. The rest of config.queue (max_dead_letters,
visibility_timeout, redis's other settings, the queued routes' defaults) passes through. A queued
route needs queue.enabled. (dict "ctx" $ctx "cfg" $cfg): edits $cfg.
*/}}
{{- define "hookgate.configQueue" -}}
{{- $ctx := .ctx -}}
{{- $q := $ctx.Values.queue -}}
{{- $cfg := .cfg -}}
{{- $cq := $cfg.queue | default dict -}}
{{- if or (hasKey $cq "path") (hasKey $cq "max_bytes") -}}
{{- fail "hookgate: do not set config.queue.path or config.queue.max_bytes; the chart sets them from queue.path and queue.maxBytes (and mounts the queue's storage at the path's folder)" -}}
{{- end -}}
{{- if hasKey $cq "backend" -}}
{{- fail "hookgate: do not set config.queue.backend; the chart sets it from queue.backend (embedded or redis)" -}}
{{- end -}}
{{- if $q.enabled -}}
{{- $redis := $q.redis | default dict -}}
{{- if eq (include "hookgate.queueBackend" $ctx) "redis" -}}
{{- $_ := set $cq "backend" "redis" -}}
{{- $conn := deepCopy ($cq.redis | default dict) -}}
{{- if $redis.url -}}
{{- if $conn.url -}}
{{- fail "hookgate: set queue.redis.url or config.queue.redis.url, not both" -}}
{{- end -}}
{{- $_ := set $conn "url" $redis.url -}}
{{- end -}}
{{- if $redis.passwordKey -}}
{{- if not $ctx.Values.secrets.existingSecret -}}
{{- fail "hookgate: queue.redis.passwordKey names a key of secrets.existingSecret; set secrets.existingSecret" -}}
{{- end -}}
{{- if hasKey $conn "password" -}}
{{- fail "hookgate: set queue.redis.passwordKey or config.queue.redis.password, not both" -}}
{{- end -}}
{{- if not $conn.url -}}
{{- fail "hookgate: queue.redis.passwordKey is the password of the queue's own Redis connection, which needs a url: set queue.redis.url (or config.queue.redis.url); to use config.dedup.redis's connection, leave passwordKey empty (its password is config.dedup.redis.password)" -}}
{{- end -}}
{{- $_ := set $conn "password" (dict "file" (printf "%s/%s" $ctx.Values.secrets.mountPath $redis.passwordKey)) -}}
{{- end -}}
{{- if $conn -}}
{{- if not $conn.url -}}
{{- fail "hookgate: config.queue.redis has no url: set queue.redis.url (or config.queue.redis.url), e.g. redis://redis-master.redis.svc:6379" -}}
{{- end -}}
{{- $_ := set $cq "redis" $conn -}}
{{- else if not ((($cfg.dedup | default dict).redis) | default dict) -}}
{{- fail "hookgate: queue.backend is redis but no Redis connection is set: set queue.redis.url (e.g. redis://redis-master.redis.svc:6379), config.queue.redis, or config.dedup.redis (hookgate then uses the dedup store's connection)" -}}
{{- end -}}
{{- else -}}
{{- if or $redis.url $redis.passwordKey -}}
{{- fail "hookgate: queue.redis.url and queue.redis.passwordKey are for queue.backend: redis; set queue.backend=redis, or leave them empty for the embedded queue" -}}
{{- end -}}
{{- $_ := set $cq "path" $q.path -}}
{{- end -}}
{{- $_ := set $cq "max_bytes" (include "hookgate.queueMaxBytes" $ctx) -}}
{{- $_ := set $cfg "queue" $cq -}}
{{- else -}}
{{- range $cfg.routes -}}
{{- $d := .delivery -}}
{{- if or (and (kindIs "string" $d) (eq $d "queued")) (and (kindIs "map" $d) (eq (toString (($d | default dict).mode)) "queued")) -}}
{{- fail (printf "hookgate: route %q has delivery: queued but queue.enabled is false; set queue.enabled=true (the chart then sets config.queue: on the embedded backend its path and the queue's storage, with queue.backend=redis the Redis connection; see README, Queued delivery)" (toString .name)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* queue.backend: embedded (the default) or redis. */}}
{{- define "hookgate.queueBackend" -}}
{{- .Values.queue.backend | default "embedded" -}}
{{- end -}}

{{/* "true" when the container mounts the queue's volume hookgate-queue: the embedded backend. */}}
{{- define "hookgate.queueVolume" -}}
{{- if and .Values.queue.enabled (ne (include "hookgate.queueBackend" .) "redis") -}}true{{- end -}}
{{- end -}}

{{/* queue.maxBytes as hookgate reads it (a string; a number of bytes stays a whole number). */}}
{{- define "hookgate.queueMaxBytes" -}}
{{- $m := .Values.queue.maxBytes -}}
{{- if kindIs "string" $m -}}{{ $m }}{{- else -}}{{ int64 $m }}{{- end -}}
{{- end -}}

{{/* "true" when the standalone pod is a StatefulSet: the embedded queue on a PVC. */}}
{{- define "hookgate.statefulSet" -}}
{{- if and (eq .Values.mode "standalone") (include "hookgate.queueVolume" .) (eq .Values.queue.persistence.type "pvc") -}}true{{- end -}}
{{- end -}}

{{/* A size in bytes (a float, printed), from hookgate's syntax (1GiB, 512MB) or a Kubernetes
quantity (2Gi, 500M); empty when it is neither. Only for comparing sizes. */}}
{{- define "hookgate.bytes" -}}
{{- $s := . | toString | trim -}}
{{- $re := "^([0-9]+(\\.[0-9]+)?) *([A-Za-z]*)$" -}}
{{- if regexMatch $re $s -}}
{{- $n := regexReplaceAll $re $s "${1}" | float64 -}}
{{- $unit := regexReplaceAll $re $s "${3}" | lower | trimSuffix "b" -}}
{{- $mult := dict "" 1.0 "k" 1e3 "ki" 1024.0 "m" 1e6 "mi" 1048576.0 "g" 1e9 "gi" 1073741824.0 "t" 1e12 "ti" 1099511627776.0 -}}
{{- if hasKey $mult $unit -}}
{{- mulf $n (get $mult $unit) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Refuses queue values that cannot work (templates/validate.yaml). */}}
{{- define "hookgate.validateQueue" -}}
{{- $q := .Values.queue -}}
{{- if and $q.enabled (eq (include "hookgate.queueBackend" .) "redis") (eq $q.persistence.type "pvc") -}}
{{- fail "hookgate: queue.persistence.type=pvc with queue.backend=redis: with backend redis the queue's persistence is Redis's (run it with appendonly yes and appendfsync always; see README, Queued delivery), hookgate keeps no file and the chart mounts no volume; remove queue.persistence.type (or set it to emptyDir)" -}}
{{- end -}}
{{- if (include "hookgate.queueVolume" .) -}}
{{- if and (eq $q.persistence.type "pvc") (ne .Values.mode "standalone") -}}
{{- fail "hookgate: queue.persistence.type=pvc needs mode: standalone (the chart then renders a StatefulSet with a claim per replica); in sidecar mode the pod is your chart's: use queue.persistence.type=emptyDir (hookgate.sidecar.volumes renders it)" -}}
{{- end -}}
{{- $dir := dir $q.path -}}
{{- range list "/etc/hookgate" "/tmp" .Values.secrets.mountPath -}}
{{- if or (eq $dir .) (eq $dir "/") (hasPrefix (printf "%s/" $dir) .) -}}
{{- fail (printf "hookgate: queue.path %q: its folder %s is mounted as the queue's volume and would cover %s; put the store in a folder of its own (default /var/lib/hookgate/queue.redb)" $q.path $dir .) -}}
{{- end -}}
{{- end -}}
{{- if eq $q.persistence.type "pvc" -}}
{{- $size := include "hookgate.bytes" $q.persistence.size -}}
{{- $max := include "hookgate.bytes" (include "hookgate.queueMaxBytes" .) -}}
{{- if and $size $max (lt (float64 $size) (float64 $max)) -}}
{{- fail (printf "hookgate: queue.persistence.size %s is smaller than queue.maxBytes %s; the claim must hold the whole queue and the store's own overhead (2x maxBytes is a safe size)" (toString $q.persistence.size) (include "hookgate.queueMaxBytes" .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
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
