// Validates deploy/ offline, as CI can (no cluster, no registry): every Kubernetes object of deploy/k8s
// against the Kubernetes API schema (kubernetes-models), then what the schema cannot see and the server
// depends on: ports and probes against the image, selectors against the pod labels, secret references,
// setting names the server knows, image tags at VERSION, and compose/nginx against the nginx template.
//   node tests/deploy/validate-manifests.mjs
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (path) => readFileSync(join(root, path), "utf8");
const version = read("VERSION").trim();
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

function yamlDocuments(path) {
  return parseAllDocuments(read(path)).map((doc) => {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS();
  });
}

async function validateSchema(object, where) {
  const model = (await import(`kubernetes-models/${object.apiVersion}`))[object.kind];
  if (!model) return failures.push(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
  try { new model(object).validate(); } catch (e) { failures.push(`${where}: ${e.message}`); }
}

// The validator validates: a Deployment with a port that is not a number must fail.
let guard = [];
await validateSchema({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: {
  selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } },
  spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "grpc" }] }] } } } }, "guard")
  .then(() => { guard = failures.splice(0); });
if (guard.length !== 1) throw new Error("the schema check accepted a Deployment whose containerPort is not a number");

// 1. Schema of every object; the kustomization names files that exist.
const objects = [];
for (const file of readdirSync(join(root, "deploy/k8s")).filter((f) => f.endsWith(".yaml"))) {
  for (const object of yamlDocuments(`deploy/k8s/${file}`)) {
    if (object.kind === "Kustomization") {
      for (const resource of object.resources) check(existsSync(join(root, "deploy/k8s", resource)), `kustomization: ${resource} does not exist`);
      continue;
    }
    await validateSchema(object, `deploy/k8s/${file} ${object.kind}/${object.metadata?.name}`);
    objects.push(object);
  }
}
const of = (kind) => objects.filter((o) => o.kind === kind);
const [deployment] = of("Deployment");
const pod = deployment.spec.template;
const container = pod.spec.containers[0];

// 2. Ports and probes: the image's ports (Dockerfile EXPOSE and ENV), probed through gRPC health.
const dockerfile = read("deploy/Dockerfile");
const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
check(/EXPOSE 50051 50052/.test(dockerfile) && /Grpc__Url=http:\/\/\+:50051/.test(dockerfile) && /Web__Url=http:\/\/\+:50052/.test(dockerfile),
  "Dockerfile: the image listens on 50051 (gRPC) and 50052 (web)");
check(ports.grpc === 50051 && ports.web === 50052, "Deployment: container ports grpc=50051, web=50052");
for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
  check(container[probe]?.grpc?.port === ports.grpc, `Deployment: ${probe} asks the gRPC health service on the grpc port`);
}
check(container.livenessProbe.grpc.service === "liveness", "Deployment: liveness asks the 'liveness' health service (not the database)");
check(!container.readinessProbe.grpc.service, "Deployment: readiness asks the whole health service (store, stopping)");
check(pod.spec.securityContext.runAsNonRoot && container.securityContext.readOnlyRootFilesystem, "Deployment: non-root, read-only root filesystem");
const mounts = container.volumeMounts.map((m) => m.mountPath);
check(mounts.includes("/tmp") && mounts.includes("/data"), "Deployment: /tmp and /data are writable volumes");

// 3. Selectors match the pod labels; Services target named container ports.
const matches = (selector) => Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v);
check(matches(deployment.spec.selector.matchLabels), "Deployment: its selector matches its pod labels");
for (const service of of("Service")) {
  check(matches(service.spec.selector), `Service ${service.metadata.name}: selector matches the pods`);
  for (const port of service.spec.ports) check(port.targetPort in ports, `Service ${service.metadata.name}: targetPort ${port.targetPort} is a container port`);
}
for (const pdb of of("PodDisruptionBudget")) check(matches(pdb.spec.selector.matchLabels), "PodDisruptionBudget: selector matches the pods");

// 4. Secret references point at keys of the example Secret; settings are ones the server knows.
const secrets = Object.fromEntries(of("Secret").map((s) => [s.metadata.name, Object.keys(s.stringData ?? s.data ?? {})]));
const settings = read("README.md") + read("src/Timely.Server/appsettings.json");
const knownSetting = (env) => env.startsWith("ConnectionStrings__") || settings.includes(env.replaceAll("__", ":"));
for (const env of container.env) {
  const ref = env.valueFrom?.secretKeyRef;
  if (ref) check(secrets[ref.name]?.includes(ref.key), `Deployment: env ${env.name} reads secret ${ref.name}/${ref.key}, which the example Secret lacks`);
  check(knownSetting(env.name), `Deployment: env ${env.name} is not a setting README or appsettings.json documents`);
}
const grace = pod.spec.terminationGracePeriodSeconds;
const seconds = (name) => { const v = container.env.find((e) => e.name === name)?.value ?? "0:0:0"; const [h, m, s] = v.split(":").map(Number); return h * 3600 + m * 60 + s; };
check(grace > seconds("Shutdown__DrainDelay") + seconds("Shutdown__Timeout"), "Deployment: terminationGracePeriodSeconds covers DrainDelay + Timeout");

// 5. Image tags are the release; compose fills every variable of the nginx template.
check(container.image === `timely-server:${version}`, `Deployment: image tag is VERSION (${version})`);
const [compose] = yamlDocuments("deploy/compose.yaml");
const template = read("deploy/nginx/timely.conf.template");
const variables = new Set([...template.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]));
check(variables.size > 0 && [...variables].every((v) => v in compose.services.nginx.environment), "compose: nginx gets every variable of the template");
for (const name of ["replica1", "replica2", "replica3"]) {
  const replica = compose.services[name];
  check(replica.image === `timely-server:${version}`, `compose: ${name} image tag is VERSION (${version})`);
  for (const env of Object.keys(replica.environment)) check(knownSetting(env), `compose: ${name} env ${env} is not a known setting`);
}

if (failures.length) {
  console.error(failures.map((f) => `deploy: ${f}`).join("\n"));
  process.exit(1);
}
console.log(`deploy: ${objects.length} Kubernetes objects valid against the API schema; compose, nginx and image consistent`);
