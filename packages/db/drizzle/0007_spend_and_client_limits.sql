ALTER TABLE `client_keys` ADD `models` text;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `rpm` integer;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `daily_requests` integer;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `daily_tokens` integer;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `monthly_spend_cny` real;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `allowed_ips` text;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `note` text;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `usage_day` text;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `day_requests` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `day_tokens` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `usage_month` text;--> statement-breakpoint
ALTER TABLE `client_keys` ADD `month_spend_cny` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `cost` real;--> statement-breakpoint
ALTER TABLE `upstream_keys` ADD `spent` real;--> statement-breakpoint
ALTER TABLE `upstream_keys` ADD `blocked_models` text;