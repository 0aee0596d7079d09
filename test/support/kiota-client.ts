/**
 * Microsoft's Kiota-based Graph SDK (`@microsoft/msgraph-sdk`, with the users and organization paths)
 * pointed at a Foyer: the same request builders a script written for Graph uses, with only the base URL
 * changed. The token is a bearer token the tests obtained from Foyer.
 */
import { AllowedHostsValidator, BaseBearerTokenAuthenticationProvider } from '@microsoft/kiota-abstractions';
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from '@microsoft/msgraph-sdk';
import '@microsoft/msgraph-sdk-users';
import '@microsoft/msgraph-sdk-organization';

export function kiotaGraphClient(foyerUrl: string, token: string): GraphServiceClient {
  return createGraphServiceClient(kiotaRequestAdapter(foyerUrl, token));
}

/** The request adapter behind kiotaGraphClient, for what takes one (BatchRequestContent, PageIterator, RequestInformation). */
export function kiotaRequestAdapter(foyerUrl: string, token: string): GraphRequestAdapter {
  const host = new URL(foyerUrl).host;
  const auth = new BaseBearerTokenAuthenticationProvider({
    getAuthorizationToken: async () => token,
    getAllowedHostsValidator: () => new AllowedHostsValidator(new Set([host])),
  });
  const adapter = new GraphRequestAdapter(auth);
  adapter.baseUrl = `${foyerUrl}/graph/v1.0`;
  return adapter;
}
