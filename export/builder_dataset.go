package export

import "fmt"

// Model F's Builder methods.

func (b *graph) dataSetTODO(what string) string {
	b.fail("export: Model F %s is not implemented yet", what)
	return fmt.Sprintf("unimplemented_%s", what)
}

func (b *graph) PairFeatures(samples, intervened string) string { return b.dataSetTODO("PairFeatures") }
func (b *graph) QueryFeatures(samples, intervened, qmask, qvalue string) string {
	return b.dataSetTODO("QueryFeatures")
}
func (b *graph) SwapPairs(x string) string        { return b.dataSetTODO("SwapPairs") }
func (b *graph) EdgeLogits(x string) string       { return b.dataSetTODO("EdgeLogits") }
func (b *graph) QueryRows(x, qmask string) string { return b.dataSetTODO("QueryRows") }
func (b *graph) Effect(pred, samples, intervened, qmask, qvalue string) string {
	return b.dataSetTODO("Effect")
}
