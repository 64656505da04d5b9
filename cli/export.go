package cli

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"causeway/export"
	"causeway/onnxfile"
)

// exportCommand is `causeway export`: checkpoint → ONNX file (and optionally
// a Triton / KServe model repository).
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "export a checkpoint to ONNX (opset 13, dynamic batch/samples/nodes)",
		Description: "Renders the checkpoint's variant as an ONNX graph (float32): A–E with inputs base_samples,\n" +
			"int_samples [B,S,N], target_row, int_mask [B,N] and outputs delta [B,N], adj_logits [B,N,N]; F with\n" +
			"inputs samples, intervened [B,R,N], query_mask [B,Q,N], query_value [B,Q] and outputs adj_logits\n" +
			"[B,N,N], effect [B,Q,N]. The weights are initializers; the architecture, training steps, seed and\n" +
			"version are in metadata_props.\n" +
			"The file is written atomically. With --triton-repo it also writes DIR/NAME/1/model.onnx and\n" +
			"DIR/NAME/config.pbtxt for Triton Inference Server or KServe.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Usage: "checkpoint directory (with checkpoint.safetensors) or safetensors `FILE`", Required: true},
			&cli.StringFlag{Name: "out", Usage: "the .onnx `FILE` to write (its directory must exist)", Required: true},
			&cli.StringFlag{Name: "name", Usage: "model `NAME`: graph and repository name, of letters, digits, '.', '_' and '-' (default: --out's base name without .onnx)"},
			&cli.StringFlag{Name: "triton-repo", Usage: "also write a Triton / KServe model repository under `DIR`"},
		},
		Action: runExport,
	}
}

func runExport(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q (use --checkpoint and --out)", c.Args().First())
	}
	cfg, params, meta, err := export.LoadParams(c.String("checkpoint"))
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	out := c.String("out")
	meta.Name = c.String("name")
	if meta.Name == "" {
		meta.Name = export.DefaultName(out, cfg)
	}
	if err := onnxfile.CheckName(meta.Name); err != nil {
		return fmt.Errorf("export: --name: %w", err)
	}
	meta.Version = c.App.Version
	m, err := export.Build(cfg, params, meta)
	if err != nil {
		return err
	}
	files, err := export.Write(m, export.Target{Path: out, TritonRepo: c.String("triton-repo"), Name: meta.Name})
	if err != nil {
		return err
	}
	var size int64
	if st, err := os.Stat(files[0]); err == nil {
		size = st.Size()
	}
	fmt.Fprintf(c.App.Writer, "exported %s: variant %s, %d parameters, %d nodes of %d op types, opset %d, %d bytes -> %s\n",
		meta.Name, cfg.Variant, params.Count(), len(m.GetGraph().GetNode()), len(export.OpTypes(m)), onnxfile.Opset, size, files[0])
	for _, f := range files[1:] {
		fmt.Fprintf(c.App.Writer, "  also wrote %s\n", f)
	}
	return nil
}
