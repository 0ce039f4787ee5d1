/**
 * nft refused a transaction (or a listing failed). Keeps nft's own message and the JSON it was given
 * (STYLE.md §4). It belongs in src/shared/errors.ts with the other typed errors; it lives here until
 * that file can take it without clashing with work on it.
 */
export class NftApplyError extends Error {
  override name = 'NftApplyError';
  constructor(
    /** What nft printed on its error stream. */
    readonly nftMessage: string,
    /** The transaction (or command) nft was given. */
    readonly input: string,
    options?: { cause?: unknown },
  ) {
    super(`nft: ${nftMessage.trim().split('\n')[0] || 'failed without a message'}`, options);
  }
}
