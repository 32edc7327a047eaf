import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** The hub URL and an automation API key, sent as a bearer token and tested against GET /v1/me. */
export class PosHubApi implements ICredentialType {
	name = 'posHubApi';

	displayName = 'POS Hub API';

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-pos-hub';

	properties: INodeProperties[] = [
		{
			displayName: 'Hub URL',
			name: 'hubUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://hub.example.com',
			description: 'The web address of your POS Hub, as your hub administrator gave it to you',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'An API key with the automation scope, created in your hub (shown only once when created)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.apiKey}}' },
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.hubUrl.replace(/\\/+$/, "")}}',
			url: '/v1/me',
		},
	};
}
