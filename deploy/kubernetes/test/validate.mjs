// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Validate Kubernetes objects against the API schema, no cluster needed:
// reads a JSON array of objects on stdin, validates each with the
// kubernetes-models class of its apiVersion and kind (the Prometheus
// Operator's for monitoring.coreos.com), prints one line per object and
// exits 1 if any is invalid or of a kind it has no schema for.
// Set up: npm ci (package-lock.json); run by tests/e2e/test_deploy.py.
import { readFileSync } from "node:fs";

const PACKAGES = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = PACKAGES[group] ?? "kubernetes-models";
  const mod = await import(group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`);
  return mod[kind];
}

const objects = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const o of objects) {
  const name = `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
  try {
    const Model = await modelOf(o.apiVersion, o.kind);
    if (!Model) throw new Error("no schema for this kind");
    new Model(o).validate();
    console.log(`valid   ${name}`);
  } catch (e) {
    console.log(`INVALID ${name}: ${e.message}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
