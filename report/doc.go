// Package report compares finished training runs: it reads each run
// directory's log.jsonl (the training losses and the held-out validation
// reports) and summary.json, draws the validation curves with gonum/plot
// (held-out SHD, delta MSE and AUROC against steps, one line per run, with
// the baselines as dashed reference lines, and the training loss), and
// writes a README.md whose table holds every run's final held-out metrics.
//
// The same runs give byte-identical README.md files: nothing in them
// depends on the clock, the machine or the absolute paths of the runs.
// Every file is written atomically.
package report
