import type { ImClusterSpec } from "../spec/imcluster.js";
import type { ComponentDefinition, ComponentSpecView } from "./components.js";
import type { KubeObject } from "./kube-object.js";
import { childMeta, type Owner } from "./metadata.js";

const nginx = "nginx.ingress.kubernetes.io";

/**
 * The annotations of one component's Ingress (for ingress-nginx, which applies annotations per Ingress:
 * hence one Ingress per exposed component on the same host; nginx routes each request to the longest matching
 * prefix across them, so /v1/uploads goes to the upload app and the rest of /v1 to the API). WebSocket paths
 * get long proxy timeouts; cookie affinity only where long-polling is allowed, since a polling session must
 * stay on one pod; the upload paths get their own body size, unbuffered streaming and timeouts.
 */
export function ingressAnnotations(
  spec: ImClusterSpec,
  component: ComponentDefinition,
  section: ComponentSpecView,
): Record<string, string> {
  const ingress = spec.ingress;
  const annotations: Record<string, string> = { [`${nginx}/proxy-body-size`]: `${ingress.proxyBodySizeMegabytes}m` };
  if (component.ingress?.websocket) {
    annotations[`${nginx}/proxy-read-timeout`] = String(ingress.proxyReadTimeoutSeconds);
    annotations[`${nginx}/proxy-send-timeout`] = String(ingress.proxySendTimeoutSeconds);
  }
  if (component.ingress?.stickyWhen?.(section)) {
    annotations[`${nginx}/affinity`] = "cookie";
    annotations[`${nginx}/affinity-mode`] = "persistent";
    annotations[`${nginx}/session-cookie-name`] = `im-${component.name}`;
  }
  // The component's own (the upload paths' body size and timeouts), then the user's: an escape hatch for
  // anything the fields above do not cover.
  return { ...annotations, ...component.ingress?.annotations?.(section), ...ingress.annotations };
}

/** Annotations cert-manager's ingress-shim reads (cert-manager.io/cluster-issuer, cert-manager.io/issuer, ...). */
const certManager = (key: string) => key.startsWith("cert-manager.io/");

/**
 * The Ingress (networking.k8s.io/v1) of an exposed component, when the ingress is enabled. Every Ingress lists
 * the TLS Secret, but only the first exposed component's (`certificateOwner`) keeps the cert-manager.io/*
 * annotations: cert-manager creates one Certificate per annotated Ingress, and two for one Secret fight over it.
 */
export function ingress(
  owner: Owner,
  spec: ImClusterSpec,
  component: ComponentDefinition,
  section: ComponentSpecView,
  certificateOwner = true,
): KubeObject | undefined {
  const settings = spec.ingress;
  if (!settings.enabled || !component.ingress) return undefined;
  if (!settings.host) throw new Error("render: spec.ingress.host is required when the ingress is enabled");
  const body: Record<string, unknown> = {};
  if (settings.className) body.ingressClassName = settings.className;
  if (settings.tlsSecretName) body.tls = [{ hosts: [settings.host], secretName: settings.tlsSecretName }];
  const annotations = Object.fromEntries(
    Object.entries(ingressAnnotations(spec, component, section)).filter(([key]) => certificateOwner || !certManager(key)),
  );
  body.rules = [
    {
      host: settings.host,
      http: {
        paths: component.ingress.paths.map((path) => ({
          path,
          pathType: "Prefix",
          backend: { service: { name: `${owner.name}-${component.name}`, port: { name: "http" } } },
        })),
      },
    },
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: childMeta(owner, component.name, component.name, { annotations }),
    spec: body,
  };
}
