#!/usr/bin/env node
// Validates deploy/k8s offline: every object against Kubernetes' own
// OpenAPI schemas (the kubernetes-models validators, installed by
// scripts/test-tools), then the rules retort's deployment depends on, then
// the configuration in the ConfigMap with `retort check`.
//
//   node validate-k8s.js --tools PREFIX --retort BINARY DIR
//
// Prints one line per problem and exits 1 when there is any; 0 and a
// summary otherwise. Before looking at DIR it proves that the validators
// bite: a Deployment with a string containerPort must be refused.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

function args() {
  const a = { tools: null, retort: null, dir: null };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === "--tools") a.tools = v[++i];
    else if (v[i] === "--retort") a.retort = v[++i];
    else a.dir = v[i];
  }
  // scripts/test-tools honours RETORT_TOOLS_DIR; so does this.
  if (process.env.RETORT_TOOLS_DIR) a.tools = path.join(process.env.RETORT_TOOLS_DIR, "k8s");
  if (!a.tools || !a.retort || !a.dir) {
    console.error("usage: validate-k8s.js --tools PREFIX --retort BINARY DIR");
    process.exit(2);
  }
  return a;
}

const opt = args();
const modules = path.resolve(opt.tools, "node_modules");
if (!fs.existsSync(path.join(modules, "kubernetes-models", "package.json"))) {
  console.error(`kubernetes-models is not installed in ${opt.tools}: run scripts/test-tools`);
  process.exit(1);
}
const YAML = require(path.join(modules, "yaml"));

const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

// ---- schema validation ------------------------------------------------------

// "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment
function model(apiVersion, kind) {
  const file = path.join(modules, "kubernetes-models", apiVersion, kind + ".js");
  if (!fs.existsSync(file)) return null;
  return require(file)[kind];
}

function schemaErrors(obj) {
  const M = model(obj.apiVersion, obj.kind);
  if (!M) return [`no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new M(obj).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

// The validators must refuse a broken object, or a green run means nothing.
{
  const bad = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
    spec: { selector: { matchLabels: { a: "b" } },
            template: { spec: { containers: [{ name: "c", image: "i",
                                               ports: [{ containerPort: "8080" }] }] } } },
  };
  if (schemaErrors(bad).length === 0) {
    console.error("self-test: the Deployment validator accepted a string containerPort");
    process.exit(1);
  }
}

// ---- loading ----------------------------------------------------------------

const objects = []; // { obj, file }
const kustomizations = []; // { k, file }

function load(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isDirectory()) {
      load(file);
      continue;
    }
    if (!/\.ya?ml$/.test(name)) continue;
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
    for (const d of docs) {
      if (d.errors.length) {
        problem(file, `YAML: ${d.errors[0].message}`);
        continue;
      }
      const obj = d.toJS();
      if (!obj) continue;
      if (obj.kind === "Kustomization") kustomizations.push({ k: obj, file });
      else objects.push({ obj, file });
    }
  }
}
load(opt.dir);

for (const { obj, file } of objects)
  for (const e of schemaErrors(obj)) problem(`${file} ${obj.kind}/${obj.metadata && obj.metadata.name}`, e);

// Every file is in a kustomization (as a resource or a patch), and every
// entry exists.
for (const { k, file } of kustomizations) {
  const dir = path.dirname(file);
  const listed = new Set();
  for (const r of k.resources || []) {
    const p = path.join(dir, r);
    if (!fs.existsSync(p)) problem(file, `resource ${r} does not exist`);
    listed.add(path.resolve(p));
  }
  for (const pt of k.patches || []) {
    const p = path.join(dir, pt.path);
    if (!fs.existsSync(p)) problem(file, `patch ${pt.path} does not exist`);
    listed.add(path.resolve(p));
  }
  for (const name of fs.readdirSync(dir))
    if (/\.ya?ml$/.test(name) && name !== path.basename(file) && !listed.has(path.resolve(dir, name)))
      problem(file, `${name} is in no kustomization`);
}
if (kustomizations.length === 0) problem(opt.dir, "no kustomization.yaml");

// ---- what retort's deployment relies on ---------------------------------------

const byKind = (kind) => objects.filter((o) => o.obj.kind === kind);
const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v);

const secretKeys = new Set();
for (const { obj } of byKind("Secret"))
  for (const k of Object.keys({ ...(obj.data || {}), ...(obj.stringData || {}) })) secretKeys.add(k);
const configMaps = new Map(byKind("ConfigMap").map(({ obj }) => [obj.metadata.name, obj]));

function portOf(container, ref) {
  return (container.ports || []).find((p) => p.name === ref || p.containerPort === ref);
}

function checkProbe(where, c, probe, name, pathWanted) {
  if (!probe) return problem(where, `${name} is missing`);
  if (pathWanted && (!probe.httpGet || probe.httpGet.path !== pathWanted))
    return problem(where, `${name} must GET ${pathWanted}`);
  const port = probe.httpGet ? probe.httpGet.port : probe.tcpSocket && probe.tcpSocket.port;
  if (!portOf(c, port)) problem(where, `${name} port ${port} is not a port of the container`);
}

const podLabels = [];
const deployments = new Set();
for (const { obj, file } of byKind("Deployment")) {
  const where = `${file} Deployment/${obj.metadata.name}`;
  deployments.add(obj.metadata.name);
  const pod = obj.spec.template;
  podLabels.push(pod.metadata.labels);
  if (!matches(obj.spec.selector.matchLabels, pod.metadata.labels))
    problem(where, "the selector does not match the pod's labels");
  const psc = pod.spec.securityContext || {};
  if (psc.runAsNonRoot !== true) problem(where, "pod securityContext.runAsNonRoot must be true");
  for (const c of pod.spec.containers) {
    const cw = `${where} container ${c.name}`;
    const sc = c.securityContext || {};
    if (sc.readOnlyRootFilesystem !== true) problem(cw, "readOnlyRootFilesystem must be true");
    if (sc.allowPrivilegeEscalation !== false) problem(cw, "allowPrivilegeEscalation must be false");
    if (!sc.capabilities || !(sc.capabilities.drop || []).includes("ALL"))
      problem(cw, "capabilities must drop ALL");
    const r = c.resources || {};
    for (const kind of ["requests", "limits"])
      for (const res of ["cpu", "memory"])
        if (!r[kind] || !r[kind][res]) problem(cw, `resources.${kind}.${res} is missing`);
    for (const e of c.env || [])
      if (e.valueFrom && e.valueFrom.secretKeyRef && !secretKeys.has(e.valueFrom.secretKeyRef.key))
        problem(cw, `env ${e.name} names secret key ${e.valueFrom.secretKeyRef.key}, which no Secret has`);
    if (c.name !== "retort") continue;
    checkProbe(cw, c, c.livenessProbe, "livenessProbe", "/health");
    checkProbe(cw, c, c.readinessProbe, "readinessProbe", "/health/ready");
    const env = Object.fromEntries((c.env || []).filter((e) => "value" in e).map((e) => [e.name, e.value]));
    const http = portOf(c, "http");
    if (!http) problem(cw, 'no container port named "http"');
    else if (env.RETORT_SERVER_PORT && Number(env.RETORT_SERVER_PORT) !== http.containerPort)
      problem(cw, `RETORT_SERVER_PORT ${env.RETORT_SERVER_PORT} is not the container port ${http.containerPort}`);
  }
  // Graceful termination: the pause before SIGTERM plus retort's drain
  // (server.shutdown_grace_ms, 10 s by default) must fit in the grace period.
  const grace = pod.spec.terminationGracePeriodSeconds;
  if (grace !== undefined) {
    const retort = pod.spec.containers.find((c) => c.name === "retort");
    const pre = retort && retort.lifecycle && retort.lifecycle.preStop;
    const pause = pre && pre.exec ? Number(pre.exec.command[pre.exec.command.length - 1]) || 0 : 0;
    if (grace < pause + 10) problem(where, `terminationGracePeriodSeconds ${grace} < preStop ${pause}s + 10s drain`);
  }
  for (const v of pod.spec.volumes || [])
    if (v.configMap && !configMaps.has(v.configMap.name))
      problem(where, `volume ${v.name} names ConfigMap ${v.configMap.name}, which does not exist`);
}

for (const { obj, file } of byKind("Service")) {
  const where = `${file} Service/${obj.metadata.name}`;
  if (!podLabels.some((l) => matches(obj.spec.selector, l))) problem(where, "the selector matches no pod");
  for (const p of obj.spec.ports)
    if (typeof p.targetPort === "string" && p.targetPort !== "http")
      problem(where, `targetPort ${p.targetPort} is not the retort container's "http" port`);
}
for (const { obj, file } of byKind("HorizontalPodAutoscaler")) {
  const t = obj.spec.scaleTargetRef;
  if (t.kind !== "Deployment" || !deployments.has(t.name))
    problem(`${file} HorizontalPodAutoscaler/${obj.metadata.name}`, `scales ${t.kind}/${t.name}, which does not exist`);
  if (obj.spec.minReplicas < 2) problem(file, "minReplicas below 2 leaves no instance during a rollout or a crash");
}
for (const { obj, file } of byKind("PodDisruptionBudget"))
  if (!podLabels.some((l) => matches(obj.spec.selector.matchLabels, l)))
    problem(`${file} PodDisruptionBudget/${obj.metadata.name}`, "the selector matches no pod");

// ---- the configuration itself -------------------------------------------------

let checked = 0;
for (const [name, cm] of configMaps) {
  if (!cm.data || !cm.data["retort.json"]) continue;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "retort-k8s-"));
  const file = path.join(tmp, "retort.json");
  fs.writeFileSync(file, cm.data["retort.json"]);
  // The environment the pod gives it, minus the secrets.
  const env = { PATH: process.env.PATH, RETORT_SERVER_PORT: "8080", RETORT_LOG_FORMAT: "json" };
  try {
    execFileSync(opt.retort, ["check", "-c", file], { env, stdio: ["ignore", "pipe", "pipe"] });
    checked++;
  } catch (e) {
    problem(`ConfigMap/${name}`, `retort check failed: ${(e.stdout || "") + (e.stderr || "")}`.trim());
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (checked === 0) problems.length || problem(opt.dir, "no ConfigMap with a retort.json was checked");

if (problems.length) {
  for (const p of problems) console.log("FAIL " + p);
  process.exit(1);
}
console.log(`ok: ${objects.length} objects in ${kustomizations.length} kustomizations valid; ` +
            `${checked} configuration(s) pass retort check`);
