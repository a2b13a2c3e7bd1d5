package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// startGraphStandIn serves GET /v21.0/{leadgen_id} like Meta's Graph API
// (the lead object of the "Retrieving Leads" guide) so a Meta webhook
// posted to the local server becomes a lead without a Meta app. Set
// LEADFLOW_GRAPH_URL to talk to the real Graph API instead.
func startGraphStandIn(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/v21.0/")
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || id == "" || strings.Contains(id, "/") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "created_time": time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05-0700"),
			"ad_id": "120210000000000002", "ad_name": "Carrossel Verão", "adset_id": "120210000000000001", "adset_name": "SP 25-45",
			"campaign_id": "120210000000000000", "campaign_name": "Meta Leads Verão 2026", "form_id": "1234512345",
			"is_organic": false, "platform": "fb",
			"field_data": []map[string]any{
				{"name": "full_name", "values": []string{"Lead Meta " + id}},
				{"name": "email", "values": []string{"meta-" + id + "@example.com"}},
				{"name": "car_make", "values": []string{"Honda"}},
			},
		})
	})}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	return "http://" + ln.Addr().String() + "/v21.0", nil
}
