/**
 * Where the "My organizations" page set (web/myaccount/) lives, for the guest pages (web/guest/) to send
 * a `myaccount` flow back to once its identity is proven. A constant, never taken from a request: the
 * way back is an internal path only, so the flow cannot be made into an open redirect.
 */
export const MY_ORGANIZATIONS_PATH = '/myaccount/organizations';
