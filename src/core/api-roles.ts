// What each API key role may do: the one policy, applied by one middleware to every /v1 route
// (src/producers/http/role-guard.ts). A route belongs to the area named by its first segment after
// /v1; a segment this table does not know is admin-only, so a new resource is closed to managers
// and viewers until someone decides otherwise here. Reads are GET, HEAD and OPTIONS.
//   admin   everything, including keys and webhooks
//   manager campaigns, batches, attempts, DNC, caller IDs; reads webhooks and the org
//   viewer  reads only (never keys)
// Signing in and out (/v1/session) is open to every role: it is how a role gets a session.

export const apiRoles = ['admin', 'manager', 'viewer'] as const;
export type ApiRole = (typeof apiRoles)[number];

export type ApiArea = 'operations' | 'webhooks' | 'keys' | 'org' | 'session' | 'unknown';

const AREA_OF_RESOURCE: Readonly<Record<string, ApiArea>> = {
  campaigns: 'operations',
  batches: 'operations',
  attempts: 'operations',
  dnc: 'operations',
  'caller-ids': 'operations',
  webhooks: 'webhooks',
  deliveries: 'webhooks',
  keys: 'keys',
  org: 'org',
  session: 'session',
};

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The area of a /v1 path (a concrete path, an express pattern or an OpenAPI path alike). */
export function apiAreaOf(path: string): ApiArea {
  const match = /^\/v1\/([^/?#]+)/.exec(path);
  // Express matches routes case-insensitively, so the policy must too.
  const resource = match?.[1]?.toLowerCase();
  if (resource === undefined || !Object.hasOwn(AREA_OF_RESOURCE, resource)) return 'unknown';
  return AREA_OF_RESOURCE[resource] ?? 'unknown';
}

function managerMay(area: ApiArea, read: boolean): boolean {
  switch (area) {
    case 'operations':
    case 'session':
      return true;
    case 'webhooks':
    case 'org':
      return read;
    case 'keys':
    case 'unknown':
      return false;
    default: {
      const never: never = area;
      return never;
    }
  }
}

/** True when a key of `role` may send `method` to `path` (a /v1 path). */
export function roleAllows(role: ApiRole, method: string, path: string): boolean {
  const area = apiAreaOf(path);
  const read = READ_METHODS.has(method.toUpperCase());
  switch (role) {
    case 'admin':
      return true;
    case 'manager':
      return managerMay(area, read);
    case 'viewer':
      return area === 'session' || (read && managerMay(area, true));
    default: {
      const never: never = role;
      return never;
    }
  }
}
