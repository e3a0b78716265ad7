/**
 * The per-project privacy budget in integer micro-ε (1 ε = 1,000,000), so grants and charges add and subtract
 * exactly. An approved request grants its project the ε the ethics committee allowed; `budget.charge` spends some
 * of it for one task (by the hub or a hospital of the task) and is refused once it would overspend.
 */
import { event, type Handler, refuse } from './context.ts';
import { FEASIBILITY_REQUEST_ID, MICRO_EPSILON_PER_EPSILON, type PayloadOf } from './schemas.ts';
import { type BudgetRecord, budgetKey, type TaskRecord, taskKey } from './state.ts';
import { taskOrRefuse } from './tasks.ts';

/** Micro-ε as a decimal ε string (exact): 1500000 → "1.5". */
export function formatEpsilon(micros: number): string {
  const whole = Math.floor(micros / MICRO_EPSILON_PER_EPSILON);
  const frac = (micros % MICRO_EPSILON_PER_EPSILON).toString().padStart(6, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

/** `budget.charge`: spends ε of the task's project. */
export const budgetCharge: Handler<PayloadOf<'budget.charge'>> = {
  authorize: () => {},
  apply: (ctx, p) => {
    const t = taskOrRefuse(ctx.state, p.taskId);
    if (t.requestId === FEASIBILITY_REQUEST_ID) {
      refuse('MER_CONTRACT_WRONG_STATE', `task ${t.taskId} is a feasibility count; it spends no privacy budget`);
    }
    const me = ctx.body.institution;
    if (ctx.member.role !== 'hub' && !t.hospitals.includes(me)) {
      refuse('MER_CONTRACT_FORBIDDEN', `${me} is neither the hub nor a hospital of task ${t.taskId}`);
    }
    const b = ctx.state.get(budgetKey(t.projectId)) as BudgetRecord | undefined;
    if (b === undefined) refuse('MER_CONTRACT_NOT_FOUND', `project ${t.projectId} has no privacy budget`);
    const remaining = b.totalMicros - b.spentMicros;
    if (p.epsilonMicros > remaining) {
      refuse(
        'MER_CONTRACT_BUDGET_EXHAUSTED',
        `payload.epsilonMicros ${p.epsilonMicros} exceeds project ${t.projectId}'s remaining ${remaining} micro-ε (ε ${formatEpsilon(remaining)})`,
      );
    }
    ctx.state.put(budgetKey(t.projectId), {
      ...b,
      spentMicros: b.spentMicros + p.epsilonMicros,
    } satisfies BudgetRecord);
    const task: TaskRecord = { ...t, epsilonChargedMicros: t.epsilonChargedMicros + p.epsilonMicros };
    ctx.state.put(taskKey(t.taskId), task);
    return [
      event('budget.charged', {
        projectId: t.projectId,
        taskId: t.taskId,
        epsilonMicros: p.epsilonMicros,
        remainingMicros: remaining - p.epsilonMicros,
      }),
    ];
  },
};
