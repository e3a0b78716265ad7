/**
 * Source profiles: for one source of a hospital (its HIS, LIS, HL7 feed, EMR …), which files are read in which
 * format and encoding and mapped by which specs. A profile is data, validated by Zod and stored with the specs;
 * the first rule whose pattern matches a file decides.
 */
import { z } from 'zod';
import { SOURCE_FORMATS } from '../sources/index.ts';

const SPEC_ID = /^[a-z0-9][a-z0-9-]{1,63}$/;

/** One rule: files matching `match` (a glob on the name, or on the path below the ingest root when it has a `/`). */
export const SourceRuleSchema = z.strictObject({
  match: z.string().min(1).max(200),
  format: z.enum(SOURCE_FORMATS).optional(),
  /** Text encoding for CSV (utf-8, gbk, gb18030); detected when absent. */
  encoding: z.string().max(20).optional(),
  /** OMOP CDM table for OMOP CSV files whose name does not say it. */
  omopTable: z.string().max(64).optional(),
  specs: z.array(z.string().regex(SPEC_ID, 'a spec id: lowercase letters, digits and dashes')).min(1).max(64),
});

/** A validated source rule. */
export type SourceRule = z.infer<typeof SourceRuleSchema>;

/** A source profile. */
export const SourceProfileSchema = z.strictObject({
  source: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a source name: lowercase letters, digits and dashes'),
  description: z.string().max(500).optional(),
  rules: z.array(SourceRuleSchema).min(1).max(200),
});

/** A validated source profile. */
export type SourceProfile = z.infer<typeof SourceProfileSchema>;

const globCache = new Map<string, RegExp>();

function globRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re === undefined) {
    const body = glob
      .split('**/')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('(?:.*/)?');
    re = new RegExp(`^${body}$`, 'i');
    globCache.set(glob, re);
  }
  return re;
}

/** The rule for a file (its path below the ingest root, `/`-separated), or undefined when none matches. */
export function ruleFor(profile: SourceProfile, relativePath: string): SourceRule | undefined {
  const posix = relativePath.split('\\').join('/');
  const base = posix.slice(posix.lastIndexOf('/') + 1);
  return profile.rules.find((r) => globRegExp(r.match).test(r.match.includes('/') ? posix : base));
}
