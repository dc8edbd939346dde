ALTER TABLE "client_keys" ADD COLUMN "models" jsonb;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "expires_at" bigint;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "rpm" integer;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "daily_requests" integer;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "daily_tokens" bigint;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "monthly_spend_cny" double precision;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "allowed_ips" jsonb;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "usage_day" text;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "day_requests" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "day_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "usage_month" text;--> statement-breakpoint
ALTER TABLE "client_keys" ADD COLUMN "month_spend_cny" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "request_logs" ADD COLUMN "cost" double precision;--> statement-breakpoint
ALTER TABLE "upstream_keys" ADD COLUMN "spent" double precision;--> statement-breakpoint
ALTER TABLE "upstream_keys" ADD COLUMN "blocked_models" jsonb;