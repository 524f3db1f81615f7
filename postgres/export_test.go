package postgres

import "context"

// Exec runs a statement on the store's pool (tests only).
func (s *Store) Exec(ctx context.Context, sql string) (int64, error) {
	t, err := s.pool.Exec(ctx, sql)
	return t.RowsAffected(), err
}

// Channel returns the store's NOTIFY channel (tests only).
func (s *Store) Channel() string { return s.channel }
