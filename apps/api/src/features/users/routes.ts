import { type Models, UserStatus, UserType } from "@im/data";
import { AppError } from "@im/protocol";
import { paged, pageOf, userIdParams } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { readClientConfig } from "../client-config/store.js";
import { checkAvatarUrl } from "./avatar-url.js";
import { otherUserSchema, profilePatch, publicUserSchema, searchQuery, selfUserSchema, settingsPatch, settingsSchema } from "./schemas.js";
import { toOtherUser, toPublicUser, toSelfUser } from "./views.js";

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export async function loadSelf(models: Models, userId: number) {
  const user = await models.users.findOne({ userId }).lean();
  if (!user) throw new AppError("TOKEN_INVALID"); // the account behind a live token was deleted
  return user;
}

export const userRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/users/me",
    summary: "My profile and settings (seed: /user/get without userId)",
    tags: ["users"],
    auth: "user",
    response: { status: 200, description: "My profile", schema: selfUserSchema },
    handler: async ({ userId }, deps) => toSelfUser(await loadSelf(deps.models, userId)),
  }),
  defineRoute({
    method: "patch",
    path: "/v1/users/me",
    summary: "Update my profile (seed: /user/update)",
    tags: ["users"],
    auth: "user",
    errors: ["AVATAR_URL_NOT_ALLOWED"],
    body: profilePatch,
    response: { status: 200, description: "The updated profile", schema: selfUserSchema },
    handler: async ({ userId, body }, deps) => {
      if (body.avatarUrl !== undefined) checkAvatarUrl(deps.config.MEDIA_PUBLIC_URL, body.avatarUrl, "users", userId);
      await deps.models.users.updateOne({ userId }, { $set: { ...body, modifyTime: Date.now() } });
      return toSelfUser(await loadSelf(deps.models, userId));
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/users/me/settings",
    summary: "My privacy and device settings (seed: /user/settings)",
    tags: ["users"],
    auth: "user",
    response: { status: 200, description: "Settings", schema: settingsSchema },
    handler: async ({ userId }, deps) => toSelfUser(await loadSelf(deps.models, userId)).settings,
  }),
  defineRoute({
    method: "patch",
    path: "/v1/users/me/settings",
    summary: "Change my settings (seed: /user/settings/update)",
    tags: ["users"],
    auth: "user",
    body: settingsPatch,
    response: { status: 200, description: "The updated settings", schema: settingsSchema },
    handler: async ({ userId, body }, deps) => {
      const set = Object.fromEntries(Object.entries(body).map(([key, value]) => [`settings.${key}`, value]));
      await deps.models.users.updateOne({ userId }, { $set: { ...set, modifyTime: Date.now() } });
      return toSelfUser(await loadSelf(deps.models, userId)).settings;
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/users/search",
    summary: "Find users by nickname, or by exact phone number (seed: /user/query, /user/getUserByPhone)",
    tags: ["users"],
    auth: "user",
    errors: ["PHONE_SEARCH_DISABLED"],
    query: searchQuery,
    response: { status: 200, description: "Matching users", schema: pageOf(publicUserSchema) },
    handler: async ({ query }, deps) => {
      const active = { status: { $ne: UserStatus.disabled }, userType: UserType.user };
      if (query.phone !== undefined) {
        if ((await readClientConfig(deps.models)).closeTelephoneFind === 1) throw new AppError("PHONE_SEARCH_DISABLED");
        const filter = { ...active, telephone: `${query.areaCode}${query.phone}`, "settings.closeTelephoneFind": { $ne: 1 } };
        return paged(query, (skip, limit) => deps.models.users.find(filter).skip(skip).limit(limit).lean()).then((page) => ({
          ...page,
          items: page.items.map(toPublicUser),
        }));
      }
      const filter = { ...active, nickname: { $regex: escapeRegex(query.nickname ?? ""), $options: "i" } };
      const page = await paged(query, (skip, limit) => deps.models.users.find(filter).sort({ userId: 1 }).skip(skip).limit(limit).lean());
      return { ...page, items: page.items.map(toPublicUser) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/users/:userId",
    summary: "Another user's public profile and how I relate to them (seed: /user/get)",
    tags: ["users"],
    auth: "user",
    errors: ["USER_NOT_FOUND"],
    params: userIdParams,
    response: { status: 200, description: "The profile", schema: otherUserSchema },
    handler: async ({ userId, params }, deps) => {
      const me = userId;
      const user = await deps.models.users.findOne({ userId: params.userId, status: { $ne: UserStatus.disabled } }).lean();
      if (!user) throw new AppError("USER_NOT_FOUND");
      const [mine, theirs] = await Promise.all([
        deps.models.friendships.findOne({ userId: me, toUserId: params.userId }).lean(),
        deps.models.friendships.findOne({ userId: params.userId, toUserId: me }).lean(),
      ]);
      return toOtherUser(user, mine, theirs);
    },
  }),
];
