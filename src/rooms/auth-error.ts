/**
 * Raised when an event fails the authorization rules. `reason` names the rule that failed and
 * is safe to show to clients (it becomes the M_FORBIDDEN message).
 */
export class AuthError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthError';
  }
}
