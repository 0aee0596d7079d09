/**
 * Microsoft's classic Graph client (`@microsoft/microsoft-graph-client`) pointed at a Foyer. The client
 * attaches tokens itself only to https hosts, so over the tests' plain http the token also goes in the
 * fetch options.
 */
import { Client } from '@microsoft/microsoft-graph-client';

export function classicGraphClient(foyerUrl: string, token: string): Client {
  return Client.init({
    baseUrl: `${foyerUrl}/graph/`,
    defaultVersion: 'v1.0',
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    authProvider: (done) => done(null, token),
  });
}
