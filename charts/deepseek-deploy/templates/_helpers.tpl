{{/*
Shared pieces of the deepseek-deploy chart. Every word of the engine's command line and every env value goes through
"dsd.literal": Kubernetes expands $(VAR) and $$ in command, args and env values, so `$` is doubled to keep each
word exactly as the product built it.
*/}}

{{- define "dsd.multiNode" -}}
{{- if or (eq .Values.workload "statefulset") (eq .Values.workload "leaderworkerset") }}true{{ end -}}
{{- end }}

{{/* Refuses value combinations that cannot work, with the reason (values.schema.json already checked types). */}}
{{- define "dsd.validate" -}}
{{- $multi := include "dsd.multiNode" . -}}
{{- if and (not $multi) (ne (int .Values.nodes) 1) -}}
{{- fail (printf "nodes: %d needs workload statefulset or leaderworkerset (workload %s runs one pod)" (int .Values.nodes) .Values.workload) -}}
{{- end -}}
{{- if and $multi (lt (int .Values.nodes) 2) -}}
{{- fail (printf "workload %s needs nodes >= 2 (got %d); one node is workload deployment or job" .Values.workload (int .Values.nodes)) -}}
{{- end -}}
{{- if and $multi (empty .Values.engine.command) -}}
{{- fail "engine.command must be set for a multi-node workload (the rank wrapper execs engine.command + engine.args)" -}}
{{- end -}}
{{- if and $multi (gt (len .Release.Name) 45) -}}
{{- fail (printf "release name %q is %d characters; a multi-node release's pod names (<release>-<rank>, <release>-0-<rank>) need it to be at most 45" .Release.Name (len .Release.Name)) -}}
{{- end -}}
{{- if and (eq .Values.workload "leaderworkerset") (not (.Capabilities.APIVersions.Has "leaderworkerset.x-k8s.io/v1/LeaderWorkerSet")) -}}
{{- fail "workload leaderworkerset: this cluster does not serve leaderworkerset.x-k8s.io/v1 LeaderWorkerSet (install LWS, or use workload statefulset)" -}}
{{- end -}}
{{- if and (eq .Values.multiNode.leaderDiscovery "value") (empty .Values.multiNode.leaderAddress) -}}
{{- fail "multiNode.leaderDiscovery value needs multiNode.leaderAddress" -}}
{{- end -}}
{{- if and (eq .Values.hfCache.type "pvc") (empty .Values.hfCache.claimName) -}}
{{- fail "hfCache.type pvc needs hfCache.claimName (an existing PersistentVolumeClaim)" -}}
{{- end -}}
{{- if and (eq .Values.hfCache.type "hostPath") (not (hasPrefix "/" .Values.hfCache.hostPath)) -}}
{{- fail (printf "hfCache.type hostPath needs an absolute hfCache.hostPath (got %q)" .Values.hfCache.hostPath) -}}
{{- end -}}
{{- end }}

{{- define "dsd.literal" -}}
{{- toString . | replace "$" "$$" -}}
{{- end }}

{{/* A list of words as a JSON flow sequence, each word literal for Kubernetes. */}}
{{- define "dsd.words" -}}
{{- $out := list -}}
{{- range . }}{{ $out = append $out (include "dsd.literal" .) }}{{ end -}}
{{- toJson $out -}}
{{- end }}

{{- define "dsd.selectorLabels" -}}
app.kubernetes.io/name: deepseek-deploy
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{- define "dsd.labels" -}}
{{ include "dsd.selectorLabels" . }}
app.kubernetes.io/managed-by: deepseek-deploy
app.kubernetes.io/component: engine
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
deepseek-deploy/engine: {{ .Values.launch.engine | quote }}
{{- with .Values.launch.id }}
deepseek-deploy/launch-id: {{ . | quote }}
{{- end }}
{{- with .Values.launch.profile }}
deepseek-deploy/profile: {{ . | quote }}
{{- end }}
{{- end }}

{{/* The leader's DNS name a StatefulSet's ranks dial (pod 0 through the headless Service). */}}
{{- define "dsd.stsLeaderDns" -}}
{{- printf "%s-0.%s-ranks.%s.svc.%s" .Release.Name .Release.Name .Release.Namespace .Values.multiNode.clusterDomain -}}
{{- end }}

{{/* The container's environment (same arguments as dsd.podSpec); secrets only as secretKeyRef. */}}
{{- define "dsd.env" -}}
{{- $v := .root.Values -}}
{{- $root := .root -}}
{{- $multi := ne .role "single" -}}
{{- $configMap := and $multi (eq $v.multiNode.leaderDiscovery "configMap") -}}
{{- range $k, $val := $v.engine.env }}
- name: {{ $k | quote }}
  value: {{ include "dsd.literal" $val | toJson }}
{{- end }}
{{- if ne $v.hfCache.type "none" }}
- name: HF_HOME
  value: {{ include "dsd.literal" $v.hfCache.mountPath | toJson }}
{{- end }}
{{- with $v.hfToken.secretName }}
- name: HF_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ . | quote }}, key: {{ $v.hfToken.secretKey | quote }}}
- name: HUGGING_FACE_HUB_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ . | quote }}, key: {{ $v.hfToken.secretKey | quote }}}
{{- end }}
{{- with $v.apiKey.secretName }}
- name: {{ $v.apiKey.envName | quote }}
  valueFrom:
    secretKeyRef: {name: {{ . | quote }}, key: {{ $v.apiKey.secretKey | quote }}}
{{- end }}
{{- if $multi }}
- name: DSD_NNODES
  value: {{ int $v.nodes | quote }}
- name: DSD_LEADER_DISCOVERY
  value: {{ $v.multiNode.leaderDiscovery | quote }}
{{- if eq $v.multiNode.leaderDiscovery "value" }}
- name: DSD_LEADER_ADDR
  value: {{ include "dsd.literal" $v.multiNode.leaderAddress | toJson }}
{{- else if and (eq $v.multiNode.leaderDiscovery "dns") (eq $v.workload "statefulset") }}
- name: DSD_LEADER_ADDR
  value: {{ include "dsd.stsLeaderDns" $root | quote }}
{{- end }}
{{- if $configMap }}
- name: DSD_LEADER_CONFIGMAP
  value: {{ printf "%s-leader" $root.Release.Name | quote }}
- name: DSD_POD_IP
  valueFrom:
    fieldRef: {fieldPath: status.podIP}
{{- end }}
{{- end }}
{{- end }}

{{/*
The pod spec. Argument: dict root (the chart's context) and role: single (deployment/job), leader or worker (LWS
templates), rank (a StatefulSet's pods, every rank from one template).
*/}}
{{- define "dsd.podSpec" -}}
{{- $v := .root.Values -}}
{{- $root := .root -}}
{{- $role := .role -}}
{{- $multi := ne $role "single" -}}
{{- $probed := or (eq $role "single") (eq $role "leader") $v.multiNode.workerProbes -}}
{{- $serves := or (eq $role "single") (eq $role "leader") (eq $role "rank") -}}
{{- $configMap := and $multi (eq $v.multiNode.leaderDiscovery "configMap") -}}
{{- if eq $v.workload "job" }}
restartPolicy: Never
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $v.serviceAccountName }}
serviceAccountName: {{ . | quote }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
terminationGracePeriodSeconds: {{ int $v.terminationGracePeriodSeconds }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
- name: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
{{- toYaml . | nindent 2 }}
{{- end }}
containers:
- name: engine
  image: {{ $v.image.name | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if $multi }}
  {{- $command := $v.engine.command -}}
  {{- $args := $v.engine.args -}}
  {{- if and (eq $role "worker") (or $v.multiNode.workerCommand $v.multiNode.workerArgs) }}
  {{- $command = $v.multiNode.workerCommand | default $v.engine.command -}}
  {{- $args = $v.multiNode.workerArgs -}}
  {{- end }}
  command: {{ include "dsd.words" (list "/bin/sh" "-c" (regexReplaceAll "(?m)^#.*\n" ($root.Files.Get "files/rank.sh") "") "deepseek-deploy-rank") }}
  args: {{ include "dsd.words" (concat $command $args) }}
  {{- else }}
  {{- with $v.engine.command }}
  command: {{ include "dsd.words" . }}
  {{- end }}
  {{- with $v.engine.args }}
  args: {{ include "dsd.words" . }}
  {{- end }}
  {{- end }}
  {{- with include "dsd.env" . | trim }}
  env:
    {{- . | nindent 2 }}
  {{- end }}
  {{- if $serves }}
  ports:
  - {name: http, containerPort: {{ int $v.engine.port }}, protocol: TCP}
  {{- end }}
  {{- $res := deepCopy $v.resources -}}
  {{- if gt (int $v.gpu.count) 0 }}
  {{- $limits := get $res "limits" | default dict -}}
  {{- $_ := set $limits $v.gpu.resourceName (int $v.gpu.count) -}}
  {{- $_ := set $res "limits" $limits -}}
  {{- end }}
  {{- with $res }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if and $v.probes.enabled $probed }}
  {{- range $kind := list "startup" "readiness" "liveness" }}
  {{- $p := get $v.probes $kind }}
  {{ $kind }}Probe:
    httpGet: {path: {{ $v.probes.path | quote }}, port: {{ int $v.engine.port }}}
    periodSeconds: {{ int $p.periodSeconds }}
    failureThreshold: {{ int $p.failureThreshold }}
    timeoutSeconds: {{ int $p.timeoutSeconds }}
  {{- end }}
  {{- end }}
  volumeMounts:
  {{- if $v.shm.enabled }}
  - {name: dshm, mountPath: /dev/shm}
  {{- end }}
  {{- if ne $v.hfCache.type "none" }}
  - {name: hf-cache, mountPath: {{ $v.hfCache.mountPath | quote }}, readOnly: {{ $v.hfCache.readOnly }}}
  {{- end }}
  {{- if $configMap }}
  - {name: leader, mountPath: /etc/deepseek-deploy/leader, readOnly: true}
  {{- end }}
volumes:
{{- if $v.shm.enabled }}
- name: dshm
  emptyDir:
    medium: Memory
    {{- with $v.shm.sizeLimit }}
    sizeLimit: {{ . | quote }}
    {{- end }}
{{- end }}
{{- if eq $v.hfCache.type "pvc" }}
- name: hf-cache
  persistentVolumeClaim: {claimName: {{ $v.hfCache.claimName | quote }}}
{{- else if eq $v.hfCache.type "hostPath" }}
- name: hf-cache
  hostPath: {path: {{ $v.hfCache.hostPath | quote }}, type: DirectoryOrCreate}
{{- else if eq $v.hfCache.type "emptyDir" }}
- name: hf-cache
  emptyDir: {}
{{- end }}
{{- if $configMap }}
- name: leader
  configMap: {name: {{ printf "%s-leader" $root.Release.Name | quote }}, optional: true}
{{- end }}
{{- end }}

{{- define "dsd.podMeta" -}}
{{- $v := .root.Values -}}
labels:
  {{- include "dsd.labels" .root | nindent 2 }}
  {{- with .role }}
  deepseek-deploy/role: {{ . }}
  {{- end }}
  {{- with $v.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $v.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
