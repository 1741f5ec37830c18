import { generateKeyPairSync, randomBytes } from "node:crypto";

/** A throw-away APNs signing key, as Apple issues it (a P-256 `.p8` PKCS#8 PEM) with its ids. */
export interface ApnsTestKey {
  /** PKCS#8 PEM (the `.p8` file's text: PUSH_APNS_KEY). */
  privateKey: string;
  /** SPKI PEM the fake verifies with. */
  publicKey: string;
  /** 10 characters, as Apple's key ids. */
  keyId: string;
  teamId: string;
}

const upperAlnum = (length: number) =>
  Array.from(randomBytes(length), (byte) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[byte % 36])
    .join("")
    .slice(0, length);

/** Makes a P-256 key pair in the test (none real) with random key and team ids. */
export function createApnsTestKey(): ApnsTestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: upperAlnum(10),
    teamId: upperAlnum(10),
  };
}

/** A Google service-account JSON (the fields the FCM client reads) with a fresh RSA key, and its public half. */
export interface FcmTestAccount {
  /** The JSON object to pass as PUSH_FCM_SERVICE_ACCOUNT (stringified). */
  account: {
    type: "service_account";
    project_id: string;
    private_key_id: string;
    private_key: string;
    client_email: string;
    token_uri: string;
  };
  /** SPKI PEM the fake's token route verifies assertions with. */
  publicKey: string;
}

/** Makes a service account for `projectId` whose `token_uri` is the fake's token route. */
export function createFcmTestAccount(tokenUri: string, projectId = "im-push-test"): FcmTestAccount {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    account: {
      type: "service_account",
      project_id: projectId,
      private_key_id: randomBytes(20).toString("hex"),
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: `push@${projectId}.iam.gserviceaccount.com`,
      token_uri: tokenUri,
    },
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}
