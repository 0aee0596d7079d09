/**
 * Bad usage the option parser cannot see (an option missing for this combination, a malformed value):
 * the command exits with 2, as for commander's own usage errors, and the message names the option.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
