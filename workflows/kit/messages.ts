/** Messages every process understands, whatever its type. */
import { defineSignal } from '@temporalio/workflow';

/** An admin loaded or corrected a calendar's data: pending deadlines on that calendar are recomputed. */
export const calendarChangedSignal = defineSignal<[{ calendar: string }]>('calendarChanged');
