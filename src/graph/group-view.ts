/** The Graph `group` resource, as `/groups` and `/users/{id}/memberOf` show it. */
import type { Group } from '../directory/groups.js';

/** The group with exactly the `select`ed properties (the response allow-list). */
export function toGraphGroup(g: Group, select: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: g.id,
    displayName: g.displayName,
    description: g.description,
    mailNickname: g.mailNickname,
    mailEnabled: g.mailEnabled,
    securityEnabled: g.securityEnabled,
    groupTypes: [],
    createdDateTime: new Date(g.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return Object.fromEntries(select.map((k) => [k, all[k]]));
}
