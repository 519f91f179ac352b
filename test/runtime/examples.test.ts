/**
 * The small examples run end to end: XOR (one neuron fails, one hidden
 * layer succeeds) and logistic regression on MNIST 3s and 5s.
 */
import { expect, test, vi } from 'vitest';
import { main as xor } from '../../examples/xor/main.ts';
import { main as logreg } from '../../examples/logistic-regression/main.ts';

test('XOR: one neuron gets at most 3 of 4, one hidden layer all 4', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const { neuron, net } = await xor();
  log.mockRestore();
  expect(neuron).toBeLessThanOrEqual(3);
  expect(net).toBe(4);
});

test('logistic regression separates held-out 3s from 5s with accuracy above 0.92', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const acc = await logreg(150);
  log.mockRestore();
  expect(acc).toBeGreaterThan(0.92);
});
