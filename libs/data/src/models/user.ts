import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** Per-user settings (seed UserSettings plus the privacy switches of the user table). */
const settingsSchema = new Schema(
  {
    /** 1 = others may follow me. */
    allowAtt: { type: Number, default: 1 },
    /** 1 = others may greet me. */
    allowGreet: { type: Number, default: 1 },
    /** 1 = adding me as a friend needs my approval. */
    friendsVerify: { type: Number, default: 1 },
    /** 1 = several devices may be logged in at once; 0 = a new login revokes the others. */
    multipleDevices: { type: Number, default: 1 },
    /** 1 = no offline push notifications. */
    offlineNoPush: { type: Number, default: 0 },
    /** 1 = push notifications show the sender and a preview of the message; 0 = a generic "new message" text. */
    pushPreview: { type: Number, default: 1 },
    /** 1 = an @mention of me in a room passes that room's do-not-disturb (not offlineNoPush). */
    pushMentions: { type: Number, default: 1 },
    /** 1 = others cannot find me by phone number. */
    closeTelephoneFind: { type: Number, default: 0 },
    /** Days my chat records are kept; -1 = forever. */
    chatRecordTimeOut: { type: Number, default: -1 },
  },
  { _id: false },
);

const locationSchema = new Schema({ lng: Number, lat: Number }, { _id: false });

const loginLogSchema = new Schema({ ip: String, resource: String, deviceId: String, time: Number }, { _id: false });

/** User status (seed user.status): enabled, or disabled by an administrator (cannot log in, is not found). */
export const UserStatus = { enabled: 0, disabled: -1 } as const;

/** Kind of account (seed user.userType). */
export const UserType = { user: 1, official: 2, wechatOfficial: 3, customerService: 4 } as const;

/** The seed's `user` table. Passwords are stored only as a salted scrypt hash. */
export const userSchema = new Schema(
  {
    userId: { type: Number, required: true },
    /** Area code + phone, e.g. 8613800138000: unique. */
    telephone: { type: String, required: true },
    areaCode: { type: String, required: true },
    phone: { type: String, default: "" },
    passwordHash: { type: String, default: "" },
    /** 1 normal user, 2 official account, 3 WeChat official account, 4 customer service. */
    userType: { type: Number, default: UserType.user },
    nickname: { type: String, required: true },
    description: { type: String, default: "" },
    avatarUrl: { type: String, default: "" },
    sex: { type: Number, default: 0 },
    birthday: { type: Number, default: 0 },
    loc: { type: locationSchema, default: undefined },
    countryId: { type: Number, default: 0 },
    provinceId: { type: Number, default: 0 },
    cityId: { type: Number, default: 0 },
    areaId: { type: Number, default: 0 },
    level: { type: Number, default: 0 },
    vip: { type: Number, default: 0 },
    friendsCount: { type: Number, default: 0 },
    fansCount: { type: Number, default: 0 },
    attCount: { type: Number, default: 0 },
    /** 0 normal, -1 disabled by an administrator. */
    status: { type: Number, default: UserStatus.enabled },
    onlinestate: { type: Number, default: 0 },
    active: { type: Number, default: 0 },
    settings: { type: settingsSchema, default: () => ({}) },
    loginLog: { type: loginLogSchema, default: undefined },
    createTime: { type: Number, required: true },
    modifyTime: { type: Number, required: true },
  },
  { collection: "user", versionKey: false },
);
userSchema.index({ userId: 1 }, { unique: true });
userSchema.index({ telephone: 1 }, { unique: true });
userSchema.index({ nickname: 1 });

export type UserDoc = InferSchemaType<typeof userSchema>;
export type UserSettings = NonNullable<UserDoc["settings"]>;
export type UserModel = Model<UserDoc>;

export const userModel = (connection: Connection): UserModel => connection.model<UserDoc>("User", userSchema);
