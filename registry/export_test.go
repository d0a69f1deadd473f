package registry

// CheckWork returns the work a check counted: the members of the subjects'
// scopes it computed, the subjects it examined while attributing findings,
// and the compat.Check runs of the subjects' rules.
func CheckWork(v *Verdict) (scopeMembers, ownerLookups, checks int) {
	if v.work == nil {
		return 0, 0, 0
	}
	return v.work.members, v.work.lookups, v.work.checks
}
