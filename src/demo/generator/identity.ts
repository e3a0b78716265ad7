/**
 * How one hospital writes a person's identifiers, including the differences that make record linkage hard:
 * full-width digits, a lower-case check character, the old 15-digit ID number, two swapped phone digits, a
 * homophone character, stray whitespace, and a different middle dot in a minority name.
 */
import { toOldIdNumber } from './id-number.ts';
import { homophoneVariant } from './names.ts';
import type { Person } from './population.ts';
import type { Rng } from './prng.ts';
import type { IdentityVariant } from './stats.ts';

/** A person's identifiers as one record writes them. */
export interface RenderedIdentity {
  family: string;
  given: string;
  /** The name as one string (what a one-field export writes). */
  full: string;
  /** Empty when the record has no ID number. */
  idNumber: string;
  /** Empty when the record has no phone number. */
  phone: string;
  variants: IdentityVariant[];
}

const ID_VARIANTS: readonly IdentityVariant[] = ['fullwidth_digits_id', 'lowercase_x_id', 'old_15_digit_id'];
const NAME_VARIANTS: readonly IdentityVariant[] = ['name_homophone', 'name_whitespace', 'name_dot_variant'];

/** Full-width form of digits and X (０-９, Ｘ). */
export function toFullWidth(text: string): string {
  return text.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/** Renders a person's identifiers with `count` variants (0–2); `dot` replaces the middle dot when chosen. */
export function renderIdentity(
  person: Person,
  rng: Rng,
  opts: { count: number; idMissing: boolean; phoneMissing: boolean; dot: string },
): RenderedIdentity {
  const { name } = person;
  const id = person.idNumber;
  const applicable: IdentityVariant[] = [];
  if (!opts.idMissing) {
    applicable.push('fullwidth_digits_id');
    if (id.endsWith('X')) applicable.push('lowercase_x_id');
    if (Number(id.slice(6, 10)) < 1985) applicable.push('old_15_digit_id');
  }
  if (!opts.phoneMissing && swapDigits(person.phone, null) !== person.phone) applicable.push('phone_swapped_digits');
  const homophone = homophoneVariant(name, rng);
  if (homophone !== null) applicable.push('name_homophone');
  if (!name.minority) applicable.push('name_whitespace');
  else applicable.push('name_dot_variant');

  const chosen: IdentityVariant[] = [];
  for (let i = 0; i < opts.count && applicable.length > 0; i++) {
    const v = rng.pick(applicable);
    chosen.push(v);
    const group = ID_VARIANTS.includes(v) ? ID_VARIANTS : NAME_VARIANTS.includes(v) ? NAME_VARIANTS : [v];
    for (let j = applicable.length - 1; j >= 0; j--)
      if (group.includes(applicable[j] as IdentityVariant)) applicable.splice(j, 1);
  }

  let family = name.family;
  let given = name.given;
  let sep = name.minority ? '·' : '';
  let idNumber = opts.idMissing ? '' : id;
  let phone = opts.phoneMissing ? '' : person.phone;
  for (const v of chosen) {
    switch (v) {
      case 'fullwidth_digits_id':
        idNumber = toFullWidth(idNumber);
        break;
      case 'lowercase_x_id':
        idNumber = `${idNumber.slice(0, 17)}x`;
        break;
      case 'old_15_digit_id':
        idNumber = toOldIdNumber(idNumber);
        break;
      case 'phone_swapped_digits':
        phone = swapDigits(phone, rng);
        break;
      case 'name_homophone': {
        const changed = homophone as string;
        if (changed.startsWith(family)) given = changed.slice(family.length);
        else {
          family = changed.slice(0, family.length);
          given = changed.slice(family.length);
        }
        break;
      }
      case 'name_whitespace': {
        const kind = rng.int(0, 3);
        if (kind === 0) sep = ' ';
        else if (kind === 1) sep = '\u3000';
        else if (kind === 2) family = ` ${family}`;
        else given = `${given} `;
        break;
      }
      case 'name_dot_variant':
        sep = opts.dot;
        break;
    }
  }
  const full = name.minority ? given + sep + family : family + sep + given;
  return {
    family: name.minority ? family : family + (sep === '' ? '' : sep),
    given,
    full,
    idNumber,
    phone,
    variants: chosen,
  };
}

/** Swaps two adjacent, different digits among the last eight of a phone number. */
function swapDigits(phone: string, rng: Rng | null): string {
  const positions: number[] = [];
  for (let i = 3; i < phone.length - 1; i++) if (phone[i] !== phone[i + 1]) positions.push(i);
  if (positions.length === 0) return phone;
  const i = rng === null ? (positions[0] as number) : rng.pick(positions);
  return phone.slice(0, i) + phone[i + 1] + phone[i] + phone.slice(i + 2);
}
