// Package forecast implements Bueno de Mesquita's expected-utility model of
// collective decisions on one-dimensional issues, as replicated by Scholz,
// Calbert and Smith (2011): actors with a capability, a position and a
// salience challenge, compromise with or give way to each other round by
// round. Two modes are offered: Faithful reproduces the public replication
// bit for bit, quirks included; Corrected removes the quirks that are bugs.
//
// Inputs come from Parley scenarios (FromScenario) or actor tables in CSV
// (ReadCSV: the common 4-column layout and the KTAB SMP layout). Shocks runs
// seeded Monte-Carlo perturbations on all cores; Compare runs what-ifs.
package forecast
