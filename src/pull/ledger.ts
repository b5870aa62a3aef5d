import { GuardError } from '../errors.js';
import { shortDigest, type Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isIndexMediaType } from '../oci/mediatypes.js';

/**
 * How the verifier reads the blob a descriptor names: an index, a manifest (anything an index
 * lists that is not an index), or bytes (a config, a layer), whose kind it does not judge.
 */
export type DescriptorRole = 'document' | 'blob';

interface Listing {
  descriptor: Descriptor;
  role: DescriptorRole;
  where: string;
}

/**
 * Every descriptor one image's documents list, by digest. The verifier judges each against the
 * one blob of that digest, so two listings of a digest with different sizes, or one as an index
 * and one as a manifest, cannot both pass: pull refuses the image at its manifests instead of
 * caching what validate would call broken (and the Action would drop on every run).
 */
export class DescriptorLedger {
  readonly #first = new Map<Digest, Listing>();

  constructor(
    /** The image, for the message. */
    private readonly subject: string,
  ) {}

  /** Notes `descriptor`, listed at `where`; throws the one-line refusal when an earlier listing contradicts it. */
  note(descriptor: Descriptor, role: DescriptorRole, where: string): void {
    const listing: Listing = { descriptor, role, where };
    const first = this.#first.get(descriptor.digest);
    if (!first) {
      this.#first.set(descriptor.digest, listing);
      return;
    }
    const conflict = contradiction(first, listing);
    if (conflict)
      throw new GuardError(
        `${this.subject}: ${shortDigest(descriptor.digest)} is listed ${conflict}: ${describe(first)} and ${describe(listing)}; its blob can match only one, so validate would call the image broken`,
      );
  }
}

/** Why two listings of one digest cannot both be right, or undefined. */
function contradiction(a: Listing, b: Listing): string | undefined {
  if (a.descriptor.size !== b.descriptor.size) return 'with two sizes';
  if (a.role === 'document' && b.role === 'document') {
    const aIndex = isIndexMediaType(a.descriptor.mediaType);
    if (aIndex !== isIndexMediaType(b.descriptor.mediaType)) return 'as an index and as a manifest';
  }
  return undefined;
}

function describe({ descriptor, where }: Listing): string {
  return `${where} (${descriptor.mediaType}, ${descriptor.size} bytes)`;
}
