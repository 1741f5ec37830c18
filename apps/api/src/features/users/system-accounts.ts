import type { Models } from "@im/data";
import { isDuplicateKeyError } from "@im/infra";

/** Accounts the platform itself speaks as (seed: 10000 customer service, 10005 system notifications). */
export const systemAccounts = [
  { userId: 10000, nickname: "客服公众号", userType: 2 },
  { userId: 10005, nickname: "系统通知", userType: 2 },
] as const;

export const SYSTEM_NOTIFIER_ID = 10005;
export const CUSTOMER_SERVICE_ID = 10000;

/** Creates the system accounts when missing; safe to run on every start of every replica. */
export async function ensureSystemAccounts(models: Models): Promise<void> {
  for (const account of systemAccounts) {
    if (await models.users.exists({ userId: account.userId })) continue;
    const now = Date.now();
    try {
      await models.users.create({
        ...account,
        // System accounts have no phone and no password, so nobody can log in as them.
        telephone: `system:${account.userId}`,
        areaCode: "0",
        phone: "",
        passwordHash: "",
        settings: { friendsVerify: 0, allowAtt: 1, allowGreet: 1, closeTelephoneFind: 1 },
        createTime: now,
        modifyTime: now,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
