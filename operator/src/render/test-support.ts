// Helpers for the operator's tests: the committed samples, parsed and given the fields the API server sets.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type ImCluster, imClusterSchema } from "../spec/imcluster.js";

/** A parsed YAML document for tests to poke at freely. */
// biome-ignore lint/suspicious/noExplicitAny: tests edit raw YAML documents of any shape
export type Loose = any;

export const sampleNames = ["imcluster-minimal", "imcluster-production"] as const;
export type SampleName = (typeof sampleNames)[number];

export const samplePath = (name: SampleName) => fileURLToPath(new URL(`../../../k8s/samples/${name}.yaml`, import.meta.url));

/** A sample as written (not parsed by the schema). */
export function rawSample(name: SampleName): unknown {
  return parse(readFileSync(samplePath(name), "utf8"));
}

/** A sample parsed by imClusterSchema, with a fixed uid and namespace, optionally changed by edit before parsing. */
export function sampleCluster(name: SampleName, edit: (raw: Loose) => void = () => {}): ImCluster {
  const raw = structuredClone(rawSample(name)) as Loose;
  raw.metadata = { namespace: "im", ...raw.metadata, uid: "00000000-0000-4000-8000-000000000001", generation: 1 };
  edit(raw);
  return imClusterSchema.parse(raw);
}

/** Small stand-ins for the Grafana dashboards, so golden files do not change when a dashboard does. */
export const stubDashboards = { "api.json": '{"uid":"im-api"}', "gateway.json": '{"uid":"im-gateway"}' };
