package demo

import (
	"time"

	"github.com/leadflow/leadflow/internal/capture"
)

// DuplicatePair is one person captured twice as two leads, so the console's
// Duplicates panel has something to show under `make dev`: "Marina Costa"
// filled the contact form with her Gmail address and a mobile number, and
// later talked to the chatbot with the same mailbox at another domain and
// her old landline-style number. No identity key is shared (the captures
// could not join them), but the same name with a similar e-mail and phone
// makes them a suggestion with reasons.
func DuplicatePair(now time.Time) []Lead {
	at := func(min int) time.Time { return now.Add(-time.Duration(min) * time.Minute).UTC() }
	return []Lead{
		{At: at(45), Request: capture.Request{
			Source: "form", ExternalID: "demo-form-marina",
			Contact: capture.RequestContact{Name: "Marina Costa", Email: "marina.costa@gmail.com", Phone: "(11) 97777-2222"},
			Navigation: capture.RequestNavigation{
				PageURL: "https://shop.example.com/contato?utm_source=google&utm_medium=cpc&utm_campaign=black-friday-2026", Locale: "pt-BR",
			},
		}},
		{At: at(12), Request: capture.Request{
			Source: "chatbot", ExternalID: "demo-conv-marina",
			Contact: capture.RequestContact{Name: "Marina Costa", Email: "marinacosta@hotmail.com", WhatsApp: "+55 11 7777-2222"},
			Navigation: capture.RequestNavigation{
				PageURL: "https://shop.example.com/planos?utm_source=instagram&utm_medium=stories&utm_campaign=black-friday-2026", Locale: "pt-BR",
			},
			Conversation: []capture.RequestMessage{
				{From: "bot", Text: "Olá! Como posso ajudar?", At: at(14).Format(time.RFC3339)},
				{From: "visitor", Text: "Já preenchi o formulário semana passada, alguém pode me ligar?", At: at(13).Format(time.RFC3339)},
			},
		}},
	}
}
