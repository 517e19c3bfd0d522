/**
 * PRC statutory holidays (法定节假日) and make-up working days (调休上班), one entry per year, every
 * date spelled out so the data can be checked against the State Council notice line by line.
 * A new year is added here each November when the notice is published; no code changes.
 */
export interface StatutoryYear {
  /** Days off, 'YYYY-MM-DD'. */
  readonly holidays: readonly string[];
  /** Weekend days that are working days, 'YYYY-MM-DD'. */
  readonly makeupWorkdays: readonly string[];
}

export const CN_STATUTORY_YEARS: Readonly<Record<number, StatutoryYear>> = {
  // 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
  2026: {
    holidays: [
      // 元旦 New Year
      '2026-01-01', '2026-01-02', '2026-01-03',
      // 春节 Spring Festival
      '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19',
      '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23',
      // 清明节 Qingming
      '2026-04-04', '2026-04-05', '2026-04-06',
      // 劳动节 Labour Day
      '2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05',
      // 端午节 Dragon Boat
      '2026-06-19', '2026-06-20', '2026-06-21',
      // 中秋节 Mid-Autumn
      '2026-09-25', '2026-09-26', '2026-09-27',
      // 国庆节 National Day
      '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05',
      '2026-10-06', '2026-10-07',
    ],
    makeupWorkdays: [
      '2026-01-04', // Sunday, for New Year
      '2026-02-14', // Saturday, for Spring Festival
      '2026-02-28', // Saturday, for Spring Festival
      '2026-05-09', // Saturday, for Labour Day
      '2026-09-20', // Sunday, for National Day
      '2026-10-10', // Saturday, for National Day
    ],
  },
};
