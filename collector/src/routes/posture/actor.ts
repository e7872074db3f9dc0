// The name a change is recorded under (acceptances, settings, host attributes).
import type { Store } from '../../store/types.js';

/** Who made a change, as the audit trail shows it: the token's name and id, never its secret. */
export async function actor(store: Store, tokenId: string): Promise<string> {
  const token = await store.access.findApiToken(tokenId);
  return token ? `${token.name} (${tokenId})` : tokenId;
}
