/** The Graph `group` resource, as `/groups` and `/users/{id}/memberOf` show it. */
import type { Group } from '../directory/groups.js';
import type { directoryObjectResource, groupResource } from '../directory/resources/index.js';
import type { SelectableProperty } from '../platform/odata/resource.js';

type GroupField = SelectableProperty<typeof groupResource> | SelectableProperty<typeof directoryObjectResource>;

/** The group with exactly the `select`ed properties (the response allow-list). */
export function toGraphGroup(g: Group, select: readonly string[]): Record<string, unknown> {
  // One entry for each selectable property of the group's description, no more (a type error otherwise).
  const all: Record<string, unknown> = {
    id: g.id,
    deletedDateTime: null,
    displayName: g.displayName,
    description: g.description,
    mailNickname: g.mailNickname,
    mailEnabled: g.mailEnabled,
    securityEnabled: g.securityEnabled,
    groupTypes: [],
    createdDateTime: new Date(g.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  } satisfies Record<GroupField, unknown>;
  return Object.fromEntries(select.filter((k) => k in all).map((k) => [k, all[k]]));
}
