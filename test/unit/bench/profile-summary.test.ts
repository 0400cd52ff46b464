import { placeOf, summarizeProfile } from '../../../bench/profile-summary';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe('bench profile summary', () => {
  it('names a frame by its package (with scope), its file, or V8s own name', () => {
    expect(placeOf(frame('f', 'file:///app/node_modules/@temporalio/worker/lib/worker.js'))).toBe('@temporalio/worker');
    expect(placeOf(frame('f', '/app/node_modules/sequelize/lib/model.js'))).toBe('sequelize');
    expect(placeOf(frame('f', 'file:///app/dist/activities/message-activities.js'))).toBe('message-activities.js');
    expect(placeOf(frame('(garbage collector)', ''))).toBe('(garbage collector)');
  });

  it('shares out busy time by self time, leaving idle out', () => {
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('query', '/app/node_modules/sequelize/lib/query.js', 9) },
        { id: 3, callFrame: frame('assess', '/app/dist/triage/safety.js', 4) },
      ],
      samples: [1, 2, 2, 3, 1],
      timeDeltas: [5000, 3000, 3000, 2000, 7000],
    });
    expect(summary.busyMs).toBe(8);
    expect(summary.byPlace).toEqual([
      ['sequelize', 75],
      ['safety.js', 25],
    ]);
    expect(summary.byFunction[0]).toEqual(['query sequelize:10', 75]);
  });
});
