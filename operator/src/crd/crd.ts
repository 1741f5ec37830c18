import { z } from "zod";
import type { KubeObject } from "../render/kube-object.js";
import { clusterNameRule, imClusterSpecSchema } from "../spec/imcluster.js";
import { imClusterStatusSchema } from "../spec/status.js";
import { crdName, group, kind, listKind, plural, shortNames, singular, version } from "./constants.js";
import { type SchemaNode, toStructural } from "./structural.js";

/** The structural openAPIV3Schema of an ImCluster, generated from the zod schemas. */
export function imClusterOpenApiSchema(): SchemaNode {
  const json = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "throw" }) as SchemaNode;
  return {
    description: "An installation of the IM platform: API, Socket.IO gateways and scheduler with their Services, autoscalers and ingress",
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: { description: "APIVersion of this object (im.platform.io/v1alpha1)", type: "string" },
      kind: { description: "Kind of this object (ImCluster)", type: "string" },
      // The API server allows only restrictions of name and generateName here (no description on metadata); the name
      // rule is a CEL rule at the root whose fieldPath (.metadata.name) needs the name declared.
      metadata: { type: "object", properties: { name: { description: "Name of the ImCluster", type: "string" } } },
      spec: toStructural(json(imClusterSpecSchema), "spec"),
      status: toStructural(json(imClusterStatusSchema), "status"),
    },
    "x-kubernetes-validations": [clusterNameRule],
  };
}

/** The CustomResourceDefinition of ImCluster (apiextensions.k8s.io/v1). */
export function imClusterCrd(): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName, labels: { "app.kubernetes.io/part-of": "im-platform" } },
    spec: {
      group,
      names: { kind, listKind, plural, singular, shortNames: [...shortNames], categories: ["im"] },
      scope: "Namespaced",
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          // `kubectl scale imc/<name> --replicas=N` sets the gateway count (ignored while gateway autoscaling is on).
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.gateway.replicas",
              statusReplicasPath: ".status.gatewayReplicas",
              labelSelectorPath: ".status.gatewaySelector",
            },
          },
          additionalPrinterColumns: [
            {
              name: "Ready",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
              description: "Ready condition: every component's desired pods updated and ready",
            },
            { name: "Status", type: "string", jsonPath: ".status.phase", description: "Ready, Reconciling, Stalled, Paused or Hibernated" },
            { name: "Version", type: "string", jsonPath: ".status.version", description: "Platform version every component runs" },
            { name: "Gateways", type: "integer", jsonPath: ".status.gatewaysReady", description: "Gateway pods ready" },
            { name: "Online", type: "integer", jsonPath: ".status.onlineUsers", description: "Users online across the gateways" },
            {
              name: "Desired",
              type: "string",
              jsonPath: ".spec.version",
              description: "Platform version asked for (spec.version)",
              priority: 1,
            },
            {
              name: "Shards",
              type: "integer",
              jsonPath: ".status.shardLayout.messageShards",
              description: "Message shards in force",
              priority: 1,
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: { openAPIV3Schema: imClusterOpenApiSchema() },
        },
      ],
    },
  };
}
