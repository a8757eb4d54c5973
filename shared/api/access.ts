// Request and response shapes for users, sign-in, tokens and the audit log (API.md, "Principals, roles and permissions").
import { z } from "zod";
import { PASSWORD_MIN_LENGTH } from "../access/password";
import { PERMISSIONS, ROLES, TIERS } from "../access/permissions";
import { SCOPES } from "../scopes";

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be an email address"));
const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(1024, "must be at most 1024 characters");
const RoleSchema = z.enum(ROLES);
const TierSchema = z.enum(TIERS);

export const CreateUserBody = z
  .strictObject({ email: Email, password: Password, role: RoleSchema, tier: TierSchema.default("free") })
  .meta({ id: "CreateUser" });

/** What row-level policies read as `current_user_attribute('<name>')`. */
export const UserAttributes = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "attribute names are identifiers"),
    z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]),
  )
  .refine((a) => Object.keys(a).length <= 64, "at most 64 attributes")
  .meta({ id: "UserAttributes" });

export const UpdateUserBody = z
  .strictObject({
    role: RoleSchema.optional(),
    tier: TierSchema.optional(),
    disabled: z.boolean().optional(),
    password: Password.optional(),
    attributes: UserAttributes.optional(),
  })
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    "give at least one of role, tier, disabled, password, attributes",
  )
  .meta({
    id: "UpdateUser",
    description: "A new role, disabling or a new password invalidates the user's earlier tokens within a second.",
  });

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
    tier: TierSchema,
    disabled: z.boolean(),
    attributes: UserAttributes,
    created_at: z.string(),
  })
  .meta({ id: "User" });

export const UserList = z.object({ users: z.array(User) }).meta({ id: "UserList" });
export const UserIdParam = z.object({ id: z.string().min(1).max(64) });

export const LoginBody = z
  .strictObject({
    project: z.string().trim().min(1, "must not be empty").max(64).meta({ description: "Project id or name" }),
    email: Email,
    password: z.string().min(1, "must not be empty").max(1024),
  })
  .meta({ id: "Login" });

export const LoginAnswer = z
  .object({
    token: z.string().meta({ description: "A JWT (EdDSA, with kid), valid 24 hours" }),
    token_type: z.literal("Bearer"),
    expires_at: z.string(),
    user: User.pick({ id: true, email: true, role: true, tier: true }),
  })
  .meta({ id: "LoginAnswer" });

export const MeAnswer = z
  .object({
    principal: z.object({
      type: z.enum(["user", "key"]),
      id: z.string(),
      role: RoleSchema.optional(),
      scopes: z.array(z.enum(SCOPES)).optional(),
      email: z.string().optional(),
      tier: TierSchema,
    }),
    project: z.object({ id: z.string(), name: z.string() }),
    permissions: z.array(z.enum(PERMISSIONS as [string, ...string[]])),
  })
  .meta({ id: "Me" });

export const Jwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: "JWKS", description: "JSON Web Key Set (RFC 7517) of Tarn's token signing keys" });

const Instant = z.iso.datetime({ offset: true, message: "must be an ISO-8601 timestamp" });

export const AuditQuery = z.object({
  from: Instant.optional(),
  to: Instant.optional(),
  action: z
    .string()
    .max(128)
    .regex(/^[\w.-]+$/, "must be an action name such as keys.create or a prefix such as keys")
    .optional(),
  actor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "must be a next_cursor from an earlier page")
    .optional(),
});

export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.object({ type: z.string(), id: z.string() }),
    action: z.string(),
    target: z.string(),
    outcome: z.enum(["ok", "denied"]),
    status: z.number().int(),
    request_id: z.string(),
    country: z.string().nullable(),
    reason: z.string().nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .meta({ id: "AuditEntry" });

export const AuditList = z
  .object({ entries: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
  .meta({ id: "AuditList" });

export const AuditVerdict = z
  .object({
    valid: z.boolean(),
    entries: z.number().int(),
    head: z.string(),
    broken_seq: z.number().int().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: "AuditVerdict" });

export const AuditExport = z
  .object({ files: z.array(z.string()).meta({ description: "R2 keys of the Parquet files written" }) })
  .meta({ id: "AuditExport" });
