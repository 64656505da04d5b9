package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/urfave/cli/v2"
)

// defaultHealthURL is the readiness endpoint of `causeway serve` on its
// container port.
const defaultHealthURL = "http://127.0.0.1:8080/v2/health/ready"

// healthcheckCommand is `causeway healthcheck`: the container's
// HEALTHCHECK, for images without a shell or curl (distroless).
func healthcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "exit 0 if a running `causeway serve` is ready (GET --url answers 200), else 1; for container HEALTHCHECKs",
		Description: "Sends one GET to --url and succeeds only on 200 OK: an error, a timeout, a redirect or any other\n" +
			"status fails (exit status 1). `causeway serve` answers 503 on /v2/health/ready while it shuts down.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: defaultHealthURL, Usage: "readiness `URL` to GET"},
			&cli.DurationFlag{Name: "timeout", Value: defaultHealthTimeout, Usage: "give up after this long"},
		},
		Action: runHealthcheck,
	}
}

const defaultHealthTimeout = 2 * time.Second

func runHealthcheck(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q (use --url)", c.Args().First())
	}
	target := c.String("url")
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: --url %q: want an http:// or https:// URL", target)
	}
	if c.Duration("timeout") <= 0 {
		return fmt.Errorf("healthcheck: --timeout %v: must be positive", c.Duration("timeout"))
	}
	client := &http.Client{
		Timeout: c.Duration("timeout"),
		// Only the server itself counts: no proxy, no redirects.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Get(target)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return fmt.Errorf("healthcheck: GET %s: no answer within %v", target, c.Duration("timeout"))
		}
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", target, resp.Status)
	}
	fmt.Fprintf(c.App.Writer, "ready: GET %s: %s\n", target, resp.Status)
	return nil
}
