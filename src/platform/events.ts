/**
 * A typed, per-app event bus. The directory core publishes what happened (a user disabled, deleted, a
 * password reset, a tenant's settings changed) and the features that keep their own state react, so the
 * core never imports them. Listeners run in registration order and are awaited: a listener that writes
 * does so in the publisher's transaction (the `tx` in the event), so the change and its consequences
 * commit or roll back together.
 */
export class EventBus<Events extends { [name: string]: unknown }> {
  readonly #listeners = new Map<keyof Events, Array<(event: never) => unknown>>();

  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => unknown): void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener as (event: never) => unknown);
    this.#listeners.set(name, list);
  }

  /** Whether anything listens for `name`. */
  has(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.length ?? 0) > 0;
  }

  async publish<K extends keyof Events>(name: K, event: Events[K]): Promise<void> {
    for (const listener of this.#listeners.get(name) ?? []) await (listener as (e: Events[K]) => unknown)(event);
  }
}
