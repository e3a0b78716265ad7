/**
 * The hub's ledger side of the panorama: it signs `access.record` as its institution with the clinician as the
 * transaction's `user` and waits for the commit and its outcome, and reads the ledger's `access` view (for the
 * audit search). A hub without `hub.ledger` records no access, so it opens no patient (refused with
 * MER_LEDGER_UNAVAILABLE): a view that is not on the ledger never happens.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { identityPaths, type TlsMaterial } from '../../ca/index.ts';
import type { HubConfig } from '../../config/schema.ts';
import { MeridianError } from '../../errors/registry.ts';
import { commitContractTx, LedgerRefusal } from '../../federation/ledger-authority.ts';
import { signContractTx } from '../../ledger/contracts/index.ts';
import { LedgerClient, readLedgerConfig } from '../../ledger/host/index.ts';
import { type TxUser, txContentHash } from '../../ledger/transaction.ts';
import { type AccessLedger, ledgerAccessReader } from '../../panorama/access.ts';
import type { HubLedgerSigner } from '../federation/authorize.ts';

/** One view to record: which hospital's records of which patient token, by whom, break glass or not. */
export interface AccessToRecord {
  user: TxUser;
  hospital: string;
  patientToken: string;
  /** ISO time the hub states for the view. */
  at: string;
  breakGlass: boolean;
  reasonCode?: string;
}

/** The committed access record: its transaction, block height and content hash (the record's ledger key). */
export interface RecordedAccess {
  txHash: string;
  height: number;
  contentHash: string;
}

/** Commits one access record on the ledger. */
export type AccessRecorder = (access: AccessToRecord) => Promise<RecordedAccess>;

/** An {@link AccessRecorder} that signs as the hub institution and waits for the commit and its outcome. */
export function ledgerAccessRecorder(opts: HubLedgerSigner): AccessRecorder {
  return async (a) => {
    const tx = signContractTx({
      chainId: opts.chainId,
      kind: 'access.record',
      institution: opts.institution,
      payload: {
        patientToken: a.patientToken,
        hospital: a.hospital,
        at: a.at,
        breakGlass: a.breakGlass,
        ...(a.reasonCode === undefined ? {} : { reasonCode: a.reasonCode }),
      },
      user: a.user,
      timeMs: (opts.now ?? Date.now)(),
      privateKey: opts.privateKey,
    });
    try {
      const committed = await commitContractTx(opts.client, opts.validators, tx, `the access record for ${a.hospital}`);
      return { ...committed, contentHash: txContentHash(tx.body) };
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      throw new MeridianError('MER_LEDGER_UNAVAILABLE', `the ledger refused the access record: ${e.message}`, {
        hospital: a.hospital,
        ledgerCode: e.ledgerCode,
      });
    }
  };
}

/** The panorama's ledger parts of this hub (recorder and access reader), or undefined without `hub.ledger`. */
export function hubPanoramaLedger(opts: {
  config: HubConfig;
  tls: TlsMaterial;
}): { recorder: AccessRecorder; reader: AccessLedger; close(): void } | undefined {
  const ledger = opts.config.hub.ledger;
  if (ledger === undefined) return undefined;
  const ledgerConfig = readLedgerConfig(ledger.configFile);
  const client = new LedgerClient({ config: ledgerConfig, tls: opts.tls });
  const validators = ledgerConfig.validators.map((v) => v.name);
  const self = opts.config.pki.identity;
  const order = validators.includes(self) ? [self, ...validators.filter((v) => v !== self)] : validators;
  const privateKey = createPrivateKey(readFileSync(identityPaths(opts.config.pki.caDir, self).signingKey, 'utf8'));
  const signer: HubLedgerSigner = {
    client,
    chainId: ledgerConfig.chainId,
    institution: self,
    privateKey,
    validators: order,
  };
  return {
    recorder: ledgerAccessRecorder(signer),
    reader: ledgerAccessReader({ client, prefer: order[0] as string, order }),
    close: () => client.close(),
  };
}
