import { describe, expect, it } from "vitest";
import { classificationFigures } from "../../src/index.ts";
import { examples } from "./fixtures.ts";

describe("classification figures", () => {
  it("accuracy, per-class precision / recall / F1 and the confusion matrix of answers the test knows", () => {
    const figures = classificationFigures(examples.map((example) => ({ expected: example.expected, predicted: example.answer })));
    expect(figures.total).toBe(8);
    expect(figures.correct).toBe(5);
    expect(figures.accuracy).toBe(5 / 8);
    expect(figures.confusion).toEqual({
      labels: ["bird", "cat", "dog"],
      // rows: expected bird, cat, dog; columns: predicted bird, cat, dog
      counts: [
        [1, 0, 0],
        [0, 2, 1],
        [0, 1, 2],
      ],
      noAnswer: [1, 0, 0],
    });
    const [bird, cat, dog] = figures.classes;
    expect(bird).toMatchObject({ label: "bird", support: 2, predicted: 1, truePositives: 1, precision: 1, recall: 1 / 2 });
    expect(bird!.f1).toBeCloseTo(2 / 3, 12);
    expect(cat).toMatchObject({ label: "cat", support: 3, predicted: 3, truePositives: 2, precision: 2 / 3, recall: 2 / 3 });
    expect(cat!.f1).toBeCloseTo(2 / 3, 12);
    expect(dog).toMatchObject({ label: "dog", support: 3, predicted: 3, truePositives: 2, precision: 2 / 3, recall: 2 / 3 });
    expect(figures.macroF1).toBeCloseTo(2 / 3, 12);
  });

  it("a class never predicted has no precision; a label only predicted has no recall; both are listed", () => {
    const figures = classificationFigures([
      { expected: "a", predicted: "b" },
      { expected: "a", predicted: "a" },
      { expected: "c", predicted: "b" },
    ]);
    expect(figures.confusion.labels).toEqual(["a", "b", "c"]);
    expect(figures.classes).toEqual([
      { label: "a", support: 2, predicted: 1, truePositives: 1, precision: 1, recall: 0.5, f1: 2 / 3 },
      { label: "b", support: 0, predicted: 2, truePositives: 0, precision: 0, recall: null, f1: null },
      { label: "c", support: 1, predicted: 0, truePositives: 0, precision: null, recall: 0, f1: null },
    ]);
    expect(figures.accuracy).toBe(1 / 3);
    expect(figures.macroF1).toBe(2 / 3);
  });

  it("precision and recall both zero give an F1 of 0, not a division by zero", () => {
    const figures = classificationFigures([
      { expected: "x", predicted: "y" },
      { expected: "y", predicted: "x" },
    ]);
    expect(figures.classes.map((row) => row.f1)).toEqual([0, 0]);
    expect(figures.accuracy).toBe(0);
  });
});
