package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PromoteRequest asks for an earlier version's content to become a
// module's next version: a rollback.
type PromoteRequest struct {
	// Module is the module's name.
	Module string
	// Version is the number of the version to promote; LatestVersion is
	// refused.
	Version int64
	// Principal is who promotes.
	Principal string
	// Reason says why; optional, bounded like an exception's reason.
	Reason string
}

// promotion is what a prepared push carries when it promotes a version.
type promotion struct {
	from   int64
	reason string
}

// Promote makes the files and configuration of version req.Version the
// module's next version, recording PromotedFrom and the reason. They are
// checked against the module's latest version exactly as a push of them
// would be — the same check path, with the subjects, ledgers, governed
// configuration, policies and exceptions in force now — so a rollback that
// breaks what was accepted since returns a *RejectedError holding the
// verdict, like a push; an admin lets it through with exceptions for its
// digest, which is the promoted version's.
//
// When the latest version already holds that content (version N is the
// latest, or a promotion of it landed already), Promote returns the latest
// version with created == false and writes nothing: a retried promotion
// does not make two versions. Races with other processes are retried as
// Push retries them.
func (s *Service) Promote(ctx context.Context, req PromoteRequest) (Version, bool, *Verdict, error) {
	start := time.Now()
	if err := s.limits.CheckPrincipal(req.Principal); err != nil {
		return Version{}, false, nil, err
	}
	if err := ValidateModuleName(req.Module); err != nil {
		return Version{}, false, nil, err
	}
	if req.Version <= 0 {
		return Version{}, false, nil, invalid("version", "version %d cannot be promoted: name a version by its number", req.Version)
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason != "" {
		if err := checkReason(req.Reason, s.limits.MaxReasonBytes); err != nil {
			return Version{}, false, nil, err
		}
	}
	from, err := s.store.GetVersion(ctx, req.Module, req.Version)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: %w", req.Module, req.Version, err)
	}
	files, err := s.store.GetFiles(ctx, req.Module, req.Version)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: %w", req.Module, req.Version, err)
	}
	config, err := s.store.GetConfig(ctx, req.Module, req.Version)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: %w", req.Module, req.Version, err)
	}
	if len(config) > 0 {
		files = append(files, File{Path: ConfigFileName, Content: config})
	}
	pushReq := PushRequest{Module: req.Module, Files: files, Principal: req.Principal}
	p, err := s.prepare(ctx, pushReq)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: %w", req.Module, req.Version, err)
	}
	if p.digest != from.Digest {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: its files and config digest to %s, the version says %s: the store is inconsistent",
			req.Module, req.Version, p.digest, from.Digest)
	}
	p.promote = &promotion{from: req.Version, reason: req.Reason}
	unlock, err := s.locks.lock(ctx, p.module)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("promote %s@%d: wait for the pushes before it: %w", p.module, req.Version, err)
	}
	version, created, v, err := s.checkAndCommit(ctx, p, pushReq, start)
	unlock(err)
	if err != nil && !errors.Is(err, ErrRejected) {
		err = fmt.Errorf("promote %s@%d: %w", req.Module, req.Version, err)
	}
	return version, created, v, err
}

// versionWithContent sets v.Existing when a version holds p's content already,
// so that the push or promotion is answered with it and writes nothing:
// for a promotion, the latest version if it holds the content; for a push,
// the newest version that holds it, which may be older than the latest (a
// push of an old version's content does not roll back: Notice says how
// to). v.Baseline is the module's latest version. It reports whether it
// set v.Existing.
func (s *Service) versionWithContent(ctx context.Context, p *prepared, v *Verdict) (bool, error) {
	var existing Version
	var err error
	if p.promote != nil {
		existing, err = s.store.GetVersion(ctx, p.module, LatestVersion)
		if err == nil && existing.Digest != p.digest {
			return false, nil
		}
	} else {
		existing, err = s.store.GetVersionByDigest(ctx, p.module, p.digest)
	}
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check push %s: %w", p.module, err)
	}
	mod, err := s.store.GetModule(ctx, p.module)
	if err != nil {
		return false, fmt.Errorf("check push %s: %w", p.module, err)
	}
	v.Existing = &existing
	v.Baseline = mod.LatestVersion
	return true, nil
}

// Notice returns, for an accepted push that wrote nothing because an
// older version than the latest holds its content, what its pusher must
// know: the latest version did not change, and how to roll back to that
// content. It returns "" otherwise.
func (v *Verdict) Notice() string {
	if v.Existing == nil || v.Existing.Number >= v.Baseline {
		return ""
	}
	return fmt.Sprintf("this content is version %d; latest stays %d: to roll back run `pbcheck registry promote %s@%d`",
		v.Existing.Number, v.Baseline, v.Module, v.Existing.Number)
}
