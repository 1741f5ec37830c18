/** The account system notifications come from (seed: 10005 系统通知). It keeps no copies of its own. */
export const SYSTEM_NOTIFIER_ID = 10005;
