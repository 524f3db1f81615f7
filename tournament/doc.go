// Package tournament runs many negotiations — every competitor against every
// other, on many scenarios, in every role, many times — on every core, and
// scores the competitors.
//
// A tournament is described by a Config (read strictly from YAML or JSON by
// LoadConfig). NewPlan resolves it into a Plan: the scenarios loaded and
// analysed once, and an ordered, virtual list of jobs. Each job has a Key
// (scenario id, competitors by role, repetition) that fully determines it
// and a seed derived from the master seed and the key (DeriveSeed), so
// running one job is a pure function of (config, key): Plan.Run(job). The
// plan is never materialised: Plan.Job(i) computes the i-th job, so memory
// does not grow with the number of negotiations.
//
// Run executes a plan (or one shard of it, see Shard) on a pool of workers
// and streams one Record per negotiation to results.csv in plan order, so
// the file is byte-identical whatever the number of workers. A run that is
// interrupted resumes: the keys already written are skipped. Merge joins the
// results of the shards of a plan into the file the whole plan would have
// written. Scores reads a results file, streaming, into per-competitor means
// and confidence intervals.
//
// docs/tournaments.md documents the file format, the keys, the seeds, the
// result columns and the scores.
package tournament
