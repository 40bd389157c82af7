package dedup

// Stats counts what deduplication saw and removed.
type Stats struct {
	Docs         int64 // input documents
	Bytes        int64 // input text bytes
	Kept         int64 // documents written
	Removed      int64 // documents dropped, all kinds
	RemovedBytes int64 // text bytes dropped
	Exact        int64 // dropped as exact duplicates of an earlier document
	Near         int64 // dropped as near duplicates of an earlier document
	AgainstExact int64 // dropped as exact duplicates of a reference document
	AgainstNear  int64 // dropped as near duplicates of a reference document
	References   int64 // reference documents indexed
	// Clusters counts kept input documents with at least one duplicate;
	// LargestCluster is the size of the largest (kept document included).
	Clusters       int64
	LargestCluster int64
	// ContaminatedReferences counts reference documents that at least one
	// input document duplicated.
	ContaminatedReferences int64
}

// Metrics flattens the counters for the run store.
func (s Stats) Metrics() map[string]float64 {
	return map[string]float64{
		"docs":                    float64(s.Docs),
		"bytes":                   float64(s.Bytes),
		"kept":                    float64(s.Kept),
		"removed":                 float64(s.Removed),
		"removed_bytes":           float64(s.RemovedBytes),
		"removed_exact":           float64(s.Exact),
		"removed_near":            float64(s.Near),
		"removed_against_exact":   float64(s.AgainstExact),
		"removed_against_near":    float64(s.AgainstNear),
		"references":              float64(s.References),
		"clusters":                float64(s.Clusters),
		"largest_cluster":         float64(s.LargestCluster),
		"contaminated_references": float64(s.ContaminatedReferences),
	}
}
