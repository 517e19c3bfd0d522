/** Messages every process understands, whatever its type. */
import { defineSignal } from '@temporalio/workflow';

/** An admin loaded or corrected a calendar's data: pending deadlines on that calendar are recomputed. */
export const calendarChangedSignal = defineSignal<[{ calendar: string }]>('calendarChanged');

/** A service manager handed the record to another project manager: notices go to them from now on. */
export const projectManagerChangedSignal = defineSignal<[{ name: string; email: string; locale?: 'zh-CN' | 'en' }]>('projectManagerChanged');
